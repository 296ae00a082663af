// Only what the daemon needs at start-up; the provider loads when it is created.
export { vsphereProviderFactory } from './factory';
export { VSPHERE_OPTIONS } from './options';
