export { localProviderFactory } from './factory';
export { type Ipv4Subnet, parseIpv4Subnet } from './ipv4-subnet';
export { LocalProvider, type LocalProviderSettings } from './local-provider';
export { LOCAL_OPTIONS } from './options';
export { type PodVmBinaries, podVmPaths } from './pod-vm-boot';
