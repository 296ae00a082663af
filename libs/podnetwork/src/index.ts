export { VXLAN_DEFAULT_PORT } from '@peerpods/netops';
export { PodNetworkError } from './errors';
export { addNotrackRules, NOTRACK_CHAINS, notrackComment, removeNotrackRules } from './notrack';
export { NoopPodVmNetwork, type PodVmNetwork } from './pod-vm-network';
export { primaryInterface } from './primary-interface';
export { VniAllocator } from './vni-allocator';
export { POD_VM_TUNNEL_NAME, VxlanPodVmNetwork, type VxlanPodVmNetworkOptions } from './vxlan-pod-vm-network';
export {
  MAX_TUNNEL_MTU,
  VxlanWorkerNetwork,
  type VxlanWorkerNetworkOptions,
  WORKER_TUNNEL_NAME,
} from './vxlan-worker-network';
export { StubWorkerNetwork, type TunnelSettings, type WorkerNetwork } from './worker-network';
export { LINK_GROUP_MARKER, linkGroup } from './worker-tunnel';
export const VXLAN_MIN_ID = 555000;
