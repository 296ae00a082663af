import { join } from 'node:path';
import { after } from 'node:test';
import { type ApfConfig, serializeApfConfig } from '@peerpods/apf-config';
import { silentLogger } from '@peerpods/log';
import { AgentService, HealthService, methodNames } from '@peerpods/protocols';
import { tempDir } from '@peerpods/test-support';
import {
  CertificateAuthority,
  clientTlsOptions,
  createSelfSignedClientCertificate,
  type PemPair,
} from '@peerpods/tls';
import { type Metadata, type RawHandler, TtrpcClient, TtrpcServer } from '@peerpods/ttrpc';
import { type RunningForwarder, startForwarder } from '../src/forwarder';
import type { ForwarderMetrics } from '../src/forwarder-metrics';
import { forwarderTlsOptions, type TlsFlags } from '../src/tls-settings';

export { tempDir };

export interface AgentCall {
  service: string;
  method: string;
  payload: Buffer;
  metadata: Metadata;
}

/** What the test agent answers: derived from the request, so the bytes can be checked. */
export const agentAnswer = (method: string, payload: Uint8Array) =>
  Buffer.concat([Buffer.from(`${method}:`), Buffer.from(payload).reverse()]);

/** A stand-in for kata-agent on a unix socket: records every call, answers agentAnswer(). */
export async function startTestAgent(
  path: string,
): Promise<{ calls: AgentCall[]; stop: () => Promise<void> }> {
  const calls: AgentCall[] = [];
  const record: RawHandler = (call) => {
    calls.push({
      service: call.service,
      method: call.method,
      payload: Buffer.from(call.payload),
      metadata: call.metadata,
    });
    return agentAnswer(call.method, call.payload);
  };
  const table = (names: string[]) => Object.fromEntries(names.map((name) => [name, record]));
  const server = new TtrpcServer()
    .register(AgentService.fullName, table(methodNames(AgentService)))
    .register(HealthService.fullName, table(methodNames(HealthService)));
  await server.listen({ path });
  return { calls, stop: () => server.close() };
}

export const INSTANCE = 'podvm-nginx-1a2b3c4d';

/** TLS material as cloud-api-adaptor issues it: a CA, the VM's server certificate, the daemon's client certificate. */
export async function caaPki(): Promise<{ ca: CertificateAuthority; server: PemPair; client: PemPair }> {
  const ca = await CertificateAuthority.create();
  return {
    ca,
    server: await ca.issueServerCertificate(INSTANCE),
    client: await createSelfSignedClientCertificate('cloud-api-adaptor'),
  };
}

export function apfConfig(
  pki: { server: PemPair; client: PemPair },
  extra: Partial<ApfConfig> = {},
): ApfConfig {
  return {
    podNetwork: {
      podIp: '10.244.1.7/24',
      podHwAddr: '0a:58:0a:f4:01:07',
      interface: 'eth0',
      workerNodeIp: '192.168.122.63/24',
      tunnelType: 'vxlan',
      routes: [],
      neighbors: [],
      mtu: 1450,
      index: 0,
      vxlanPort: 4789,
      vxlanId: 555000,
      dedicated: false,
      externalNetViaPodVm: false,
    },
    podNamespace: 'default',
    podName: 'nginx',
    tlsServerCert: pki.server.certPem,
    tlsServerKey: pki.server.keyPem,
    tlsClientCa: pki.client.certPem,
    ...extra,
  };
}

export { serializeApfConfig };

/** A forwarder in-process on 127.0.0.1 with a test agent behind it; both stopped after the file. */
export async function forwarderWithAgent(
  flags: TlsFlags = {},
  podNamespace = '/run/netns/podns',
  metrics?: ForwarderMetrics,
) {
  const dir = tempDir();
  const agentPath = join(dir, 'agent.sock');
  const agent = await startTestAgent(agentPath);
  const pki = await caaPki();
  const tls = await forwarderTlsOptions(flags, apfConfig(pki), 'apf.json', silentLogger);
  const forwarder: RunningForwarder = await startForwarder({
    listen: { host: '127.0.0.1', port: 0 },
    kataAgentSocket: agentPath,
    podNamespace,
    tls,
    log: silentLogger,
    agentDialBudgetMs: 3000,
    metrics,
  });
  after(async () => {
    await forwarder.stop(100);
    await agent.stop();
  });
  /** Connects as cloud-api-adaptor does. */
  const connect = () =>
    TtrpcClient.connect(
      tls
        ? {
            host: '127.0.0.1',
            port: forwarder.address.port,
            tls: clientTlsOptions({
              ca: pki.ca.certPem,
              cert: pki.client.certPem,
              key: pki.client.keyPem,
              serverName: INSTANCE,
            }),
          }
        : { host: '127.0.0.1', port: forwarder.address.port },
    );
  return { dir, agentPath, agent, pki, forwarder, connect };
}
