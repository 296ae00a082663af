export { LibvirtProvider } from './libvirt-provider';
export { libvirtSettings } from './settings';
