export { VXLAN_DEFAULT_PORT } from '@peerpods/netops';
export { StubWorkerNetwork, type TunnelSettings, type WorkerNetwork } from './worker-network';
export const VXLAN_MIN_ID = 555000;
export { NoopPodVmNetwork, type PodVmNetwork } from './pod-vm-network';
