// The SOAP client on its own, for tools that drive a vCenter (or vcsim) directly: tests, demos.
export { SoapFault } from './soap-client';
export { child, list, type MoRef, moRef, textOf, type XmlValue, xmlText } from './soap-xml';
export { Vcenter, type VcenterLogin } from './vcenter';
