export { type Machine, type MachineRequest, type Machines, PaperMachines } from './cloud-machines';
export type { InstanceRecord } from './instance-record';
export { type HostLabels, LOCAL_PROVIDER_LABELS } from './labels';
export { METADATA_ADDRESS } from './metadata-redirect';
export type { BootPlan, PodVmBinaries } from './pod-vm-boot';
export { podVmPaths } from './pod-vm-boot';
export { type LaunchedPodVm, type LaunchOptions, PodVmHost, type PodVmHostSettings } from './pod-vm-host';
export {
  type CloudFlavour,
  type MetadataServer,
  type MetadataSubject,
  PodVmMachines,
} from './pod-vm-machines';
