// The SOAP client on its own, for tools that drive a vCenter (or vcsim) directly: tests, demos.
export { SoapFault } from './soap-client';
export { type MoRef, moRef, optionValues, textOf, xmlText } from './soap-xml';
export { Vcenter, type VcenterLogin } from './vcenter';
