export type { ApfConfig, PodNeighbor, PodNetwork, PodRoute, RouteProtocol, RouteScope } from './apf-config';
export { ApfConfigError, parseApfConfig } from './parse';
export { podNetworkJson, serializeApfConfig } from './serialize';
