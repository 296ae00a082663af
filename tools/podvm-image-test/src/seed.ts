import { cidataIso } from '@peerpods/iso9660';
import { cloudConfig } from '@peerpods/providers';
import { CertificateAuthority, createSelfSignedClientCertificate } from '@peerpods/tls';

/**
 * A pod network for a guest on QEMU's user network (10.0.2.0/24, router 10.0.2.2): the tunnel's worker
 * end is the router, which never answers VXLAN, and nothing needs it to for the forwarder to listen.
 */
export const USER_NETWORK_POD: Readonly<Record<string, unknown>> = {
  podip: '10.244.0.19/24',
  'pod-hw-addr': '0e:8f:62:f3:81:ad',
  interface: 'eth0',
  'worker-node-ip': '10.0.2.2/24',
  'tunnel-type': 'vxlan',
  mtu: 1450,
  index: 1,
  'vxlan-port': 4789,
  'vxlan-id': 555001,
  dedicated: false,
};

/**
 * A cidata seed (ISO9660 with user-data, meta-data and vendor-data) whose user-data writes this
 * apf.json, in the daemon's own `#cloud-config` layout.
 */
export function apfSeed(apf: Readonly<Record<string, unknown>>, instanceId: string): Buffer {
  return cidataIso(
    cloudConfig([{ path: '/run/peerpod/apf.json', content: JSON.stringify(apf, null, 2) }]),
    instanceId,
  );
}

/**
 * apf.json's TLS fields as the daemon fills them: a server certificate for `instanceName` from a fresh
 * CA, and a client certificate the forwarder is told to trust. Nobody connects in the image test; the
 * forwarder needs them to listen at all.
 */
export async function apfTlsFields(instanceName: string): Promise<Record<string, string>> {
  const ca = await CertificateAuthority.create();
  const [server, client] = await Promise.all([
    ca.issueServerCertificate(instanceName),
    createSelfSignedClientCertificate('cloud-api-adaptor'),
  ]);
  return {
    'tls-server-key': server.keyPem,
    'tls-server-cert': server.certPem,
    'tls-client-ca': client.certPem,
  };
}
