// The provider proper, loaded when it starts (a lazily loaded chunk of the built binary).
export { vsphereSettings } from './settings';
export { VsphereProvider } from './vsphere-provider';
