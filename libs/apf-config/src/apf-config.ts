/**
 * apf.json as upstream cloud-api-adaptor writes it and upstream's agent-protocol-forwarder reads it
 * (docs/compatibility.md §4.1). Property names here are camelCase; the JSON names and
 * their order are in serialize.ts.
 */
export type RouteProtocol = 'kernel' | 'boot' | 'static' | 'dhcp';
export type RouteScope = 'universe' | 'site' | 'link' | 'host' | 'nowhere';

export interface PodRoute {
  /** Destination prefix, e.g. `10.244.0.0/16`; empty for the default route. */
  dst?: string;
  gw?: string;
  dev?: string;
  protocol?: RouteProtocol;
  scope?: RouteScope;
}

export interface PodNeighbor {
  ip?: string;
  hwAddr?: string;
  dev?: string;
  /** Upstream only copies PERMANENT neighbours: `permanent`. */
  state?: string;
}

/** The `pod-network` object: what the pod-VM side needs to recreate the pod's interface. */
export interface PodNetwork {
  /** Pod IPv4 with prefix, e.g. `10.244.1.7/24`. */
  podIp: string;
  podHwAddr: string;
  /** Interface name in the pod netns, e.g. `eth0`. */
  interface: string;
  /** Worker node address with prefix, e.g. `192.168.122.63/24`. */
  workerNodeIp: string;
  tunnelType: string;
  routes: PodRoute[];
  neighbors: PodNeighbor[];
  mtu: number;
  index: number;
  vxlanPort?: number;
  vxlanId?: number;
  dedicated: boolean;
  externalNetViaPodVm: boolean;
}

export interface ApfConfig {
  podNetwork: PodNetwork;
  podNamespace: string;
  podName: string;
  tlsServerKey?: string;
  tlsServerCert?: string;
  tlsClientCa?: string;
  /** Go's names: `VersionTLS12`, `VersionTLS13`. */
  tlsMinVersion?: string;
  /** IANA cipher-suite names. */
  tlsCipherSuites?: string[];
}
