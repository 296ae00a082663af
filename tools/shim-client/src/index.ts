// @peerpods/shim-client: talks to cloud-api-adaptor exactly as the kata shim does.
export {
  AgentSession,
  type AgentTimeouts,
  type ContainerResult,
  DEFAULT_AGENT_TIMEOUTS,
  isUnimplemented,
  READ_CHUNK_BYTES,
  READ_DRAIN_GRACE_MS,
  type RunContainerOptions,
} from './agent-session';
export { buildCli, type ShimCliIo, type ShimCliOptions } from './cli';
export {
  type ContainerProcess,
  containerSpec,
  DEFAULT_CONTAINER_ENV,
  OCI_VERSION,
  randomId,
} from './container-spec';
export { CallError, DaemonNotRunningError } from './errors';
export {
  type CreateVMOptions,
  DEFAULT_HYPERVISOR_SOCKET,
  DEFAULT_HYPERVISOR_TIMEOUTS,
  HypervisorClient,
  type HypervisorTimeouts,
} from './hypervisor-client';
export { IpReservations } from './ipam';
export { formatIpv4, macFromIpv4, parseIpv4, parseSubnet } from './ipv4';
export {
  type CreatePodNetworkOptions,
  createPodNetwork,
  DEFAULT_BRIDGE,
  DEFAULT_IPAM_DIR,
  DEFAULT_MTU,
  DEFAULT_SUBNET,
  type DeletePodNetworkOptions,
  deleteBridge,
  deletePodNetwork,
  hostVethName,
  POD_INTERFACE,
  PodNetworkError,
  type PodNetworkHandle,
  reservationsOf,
} from './pod-network';
export {
  KERNEL_POD_NETWORK,
  type LaunchedSandbox,
  type LaunchOptions,
  launchSandbox,
  type PodNetworkOps,
  podNetnsName,
  type StepTiming,
  sandboxAnnotations,
  type TeardownOptions,
  type TeardownResult,
  teardownSandbox,
} from './sandbox-lifecycle';
export {
  DEFAULT_STATE_DIR,
  loadSandbox,
  removeSandbox,
  type SandboxState,
  saveSandbox,
} from './sandbox-state';
