import { z } from 'zod';
import type { ApfConfig } from './apf-config';

// Unknown fields are ignored, as Go's encoding/json does: a newer daemon may write more than we know.
const text = z.string();
// Go's netip text forms; empty means unset, as Go marshals a zero netip value.
const prefix = z.string().regex(/^$|^[0-9a-fA-F.:]+\/\d{1,3}$/, 'an IP prefix such as 10.244.1.7/24');
const address = z.string().regex(/^$|^[0-9a-fA-F.:]+$/, 'an IP address');
const mac = z
  .string()
  .regex(/^$|^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address such as 0a:58:0a:f4:01:07');

const route = z.object({
  dst: prefix.optional(),
  gw: address.optional(),
  dev: text.optional(),
  // Upstream's decoder accepts exactly these protocol names.
  protocol: z.enum(['kernel', 'boot', 'static', 'dhcp']).optional(),
  scope: z.enum(['universe', 'site', 'link', 'host', 'nowhere']).optional(),
});

const neighbor = z.object({
  ip: address.optional(),
  'hw-addr': mac.optional(),
  dev: text.optional(),
  state: text.optional(),
});

const podNetwork = z.object({
  podip: prefix,
  'pod-hw-addr': mac,
  interface: text,
  'worker-node-ip': prefix,
  'tunnel-type': text,
  // Go writes a nil slice as null.
  routes: z.array(route).nullish(),
  neighbors: z.array(neighbor).nullish(),
  mtu: z.number().int().min(0).max(65535),
  index: z.number().int().min(0),
  'vxlan-port': z.number().int().min(0).max(65535).optional(),
  'vxlan-id': z.number().int().min(0).max(0xffffff).optional(),
  dedicated: z.boolean().optional(),
  'external-net-via-pod-vm': z.boolean().optional(),
});

const apfSchema = z.object({
  'pod-network': podNetwork,
  'pod-namespace': text,
  'pod-name': text,
  'tls-server-key': text.optional(),
  'tls-server-cert': text.optional(),
  'tls-client-ca': text.optional(),
  'tls-min-version': text.optional(),
  'tls-cipher-suites': z.array(text).nullish(),
  // Left by upstream's removed secure-comms feature; accepted and ignored.
  'sc-pp-prv': text.optional(),
  'sc-wn-pub': text.optional(),
});

export class ApfConfigError extends Error {
  override readonly name = 'ApfConfigError';
}

/**
 * Parses apf.json as upstream writes it. Every problem is reported with the JSON path of the field,
 * e.g. `pod-network.routes[0].protocol: Invalid option: expected one of "kernel"|…`.
 */
export function parseApfConfig(json: string, source = 'apf.json'): ApfConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ApfConfigError(`${source}: not valid JSON: ${(error as Error).message}`);
  }
  const result = apfSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path
        .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
        .join('');
      return `${path || '(top level)'}: ${issue.message}`;
    });
    throw new ApfConfigError(`${source}: ${problems.join('; ')}`);
  }
  const c = result.data;
  const n = c['pod-network'];
  return {
    podNetwork: {
      podIp: n.podip,
      podHwAddr: n['pod-hw-addr'],
      interface: n.interface,
      workerNodeIp: n['worker-node-ip'],
      tunnelType: n['tunnel-type'],
      routes: (n.routes ?? []).map((r) => ({ ...r })),
      neighbors: (n.neighbors ?? []).map((x) => ({
        ip: x.ip,
        hwAddr: x['hw-addr'],
        dev: x.dev,
        state: x.state,
      })),
      mtu: n.mtu,
      index: n.index,
      vxlanPort: n['vxlan-port'],
      vxlanId: n['vxlan-id'],
      dedicated: n.dedicated ?? false,
      externalNetViaPodVm: n['external-net-via-pod-vm'] ?? false,
    },
    podNamespace: c['pod-namespace'],
    podName: c['pod-name'],
    tlsServerKey: c['tls-server-key'],
    tlsServerCert: c['tls-server-cert'],
    tlsClientCa: c['tls-client-ca'],
    tlsMinVersion: c['tls-min-version'],
    tlsCipherSuites: c['tls-cipher-suites'] ?? undefined,
  };
}
