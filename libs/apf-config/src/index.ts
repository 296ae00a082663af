export type { ApfConfig, PodNeighbor, PodNetwork, PodRoute, RouteProtocol, RouteScope } from './apf-config';
export { podNetworkJson, serializeApfConfig } from './serialize';
