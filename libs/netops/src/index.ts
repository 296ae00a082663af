// Low-level Linux networking for pod networking: iproute2 reads and batches, tc, iptables, namespaces.
// Mechanism only; what to build (VXLAN tunnels, NOTRACK rules) is @peerpods/podnetwork's business.

/** IANA's VXLAN port, upstream's `-vxlan-port` default. */
export const VXLAN_DEFAULT_PORT = 4789;

export { type Address, type ListAddressesOptions, listAddresses, listLinksAndAddresses } from './addresses';
export { failedLineNumber, ipBatch, tcBatch } from './batch';
export {
  type CommandOptions,
  type CommandResult,
  type CommandRunner,
  DEFAULT_TIMEOUT_MS,
  runCommand,
} from './command';
export { tracingRunner } from './command-trace';
export {
  type CommandErrorDetails,
  type CommandFailure,
  type FailedBatchLine,
  formatCommandLine,
  IptablesNotFoundError,
  NetnsNotFoundError,
  NetopsCommandError,
} from './errors';
export type { Family } from './family';
export { runIp, runTc } from './iproute2';
export { detectIptables, Iptables, type IptablesTable } from './iptables';
export {
  type DetectIptablesOptions,
  detectIptablesBinary,
  IPTABLES_CANDIDATES,
  type IptablesBinary,
  type IptablesFlavour,
} from './iptables-detect';
export {
  parseTableListing,
  quoteRuleWord,
  type RuleSpec,
  restoreLine,
  splitRuleLine,
  type TableListing,
  targetsChain,
} from './iptables-rules';
export {
  broadcastOf,
  formatIpv4,
  hostAddress,
  hostCount,
  type Ipv4Subnet,
  overlaps,
  parseIpv4,
  parseIpv4Subnet,
  subnetContaining,
} from './ipv4';
export type { JsonObject } from './json';
export { type DeleteLinkOptions, deleteLink, hasDevice } from './link-delete';
export { getLink, type Link, listLinks, type VxlanInfo } from './links';
export { type ListNeighboursOptions, listNeighbours, type Neighbour } from './neighbours';
export {
  assertNetnsExists,
  execInNetns,
  iproute2InNetns,
  type NetnsTarget,
  namedNetnsPath,
  netnsExists,
  netnsMoveRef,
  netnsTarget,
} from './netns';
export {
  createNetns,
  type DeleteNetnsOptions,
  deleteNetns,
  type HostOptions,
  listNetns,
  netnsPids,
} from './netns-admin';
export type { NetopsOptions } from './options';
export { type ListRoutesOptions, listRoutes, type Route } from './routes';
export {
  type ListFiltersOptions,
  type ListQdiscsOptions,
  listFilters,
  listQdiscs,
  type Qdisc,
  type TcAction,
  type TcFilter,
} from './tc';
