import type { ApfConfig, PodNeighbor, PodNetwork, PodRoute } from './apf-config';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

// Go's encoding/json `omitempty`: dropped when "", 0, false or an empty list.
function put(target: Record<string, Json>, key: string, value: Json | undefined, omitEmpty: boolean): void {
  if (value === undefined) return;
  if (
    omitEmpty &&
    (value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0))
  )
    return;
  target[key] = value;
}

// Upstream's dst and gw (and a neighbour's ip) are netip values: structs, which omitempty never
// drops, marshalled as text: "" when unset.
function route(r: PodRoute): Record<string, Json> {
  const out: Record<string, Json> = {};
  put(out, 'dst', r.dst ?? '', false);
  put(out, 'gw', r.gw ?? '', false);
  put(out, 'dev', r.dev, true);
  put(out, 'protocol', r.protocol, true);
  put(out, 'scope', r.scope, true);
  return out;
}

function neighbor(n: PodNeighbor): Record<string, Json> {
  const out: Record<string, Json> = {};
  put(out, 'ip', n.ip ?? '', false);
  put(out, 'hw-addr', n.hwAddr, true);
  put(out, 'dev', n.dev, true);
  put(out, 'state', n.state, true);
  return out;
}

export function podNetworkJson(network: PodNetwork): Record<string, Json> {
  const out: Record<string, Json> = {};
  put(out, 'podip', network.podIp, false);
  put(out, 'pod-hw-addr', network.podHwAddr, false);
  put(out, 'interface', network.interface, false);
  put(out, 'worker-node-ip', network.workerNodeIp, false);
  put(out, 'tunnel-type', network.tunnelType, false);
  // Go marshals a nil slice (nothing was appended) as null, not [].
  put(out, 'routes', network.routes.length > 0 ? network.routes.map(route) : null, false);
  put(out, 'neighbors', network.neighbors.length > 0 ? network.neighbors.map(neighbor) : null, false);
  put(out, 'mtu', network.mtu, false);
  put(out, 'index', network.index, false);
  put(out, 'vxlan-port', network.vxlanPort, true);
  put(out, 'vxlan-id', network.vxlanId, true);
  put(out, 'dedicated', network.dedicated, false);
  put(out, 'external-net-via-pod-vm', network.externalNetViaPodVm, false);
  return out;
}

/**
 * apf.json text as upstream writes it: Go's json.MarshalIndent with 4 spaces, fields in the Go
 * struct's order, omitempty where upstream has it, no trailing newline.
 */
export function serializeApfConfig(config: ApfConfig): string {
  const out: Record<string, Json> = {};
  put(out, 'pod-network', podNetworkJson(config.podNetwork), false);
  put(out, 'pod-namespace', config.podNamespace, false);
  put(out, 'pod-name', config.podName, false);
  put(out, 'tls-server-key', config.tlsServerKey, true);
  put(out, 'tls-server-cert', config.tlsServerCert, true);
  put(out, 'tls-client-ca', config.tlsClientCa, true);
  put(out, 'tls-min-version', config.tlsMinVersion, true);
  put(out, 'tls-cipher-suites', config.tlsCipherSuites, true);
  // Go escapes <, > and & in strings; PEM and names never contain them, but keep the bytes identical.
  return JSON.stringify(out, null, 4).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
