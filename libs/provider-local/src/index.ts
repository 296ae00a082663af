export { localProviderFactory } from './factory';
export { LocalProvider, type LocalProviderSettings } from './local-provider';
export { LOCAL_OPTIONS } from './options';
export { type PodVmBinaries, podVmPaths } from './pod-vm-boot';
