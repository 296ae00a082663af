// Only what the daemon needs at start-up; the client and XML parser load when the provider is created.
export { libvirtProviderFactory } from './factory';
export { LIBVIRT_OPTIONS } from './options';
