// The processes of the agent-proxy benchmark, one role per process (esbuild-bundled by proxy.ts):
//   agent <socket>                                   test agent: answers every agent call with its payload
//   forwarder <host> <port> <agent-socket> <apf.json>  TLS endpoint standing in for the forwarder
//   proxy <socket> <host> <port> <ca> <cert> <key> <name> [metrics]  the daemon's AgentProxy; with
//     `metrics`, counting every call in the daemon's prom-client metrics (as -metrics-addr does)
// Each prints READY once serving and exits when stdin closes.
import { readFileSync } from 'node:fs';
import { silentLogger } from '@peerpods/log';
import { loadPrometheus } from '@peerpods/metrics';
import { AgentService, HealthService, methodNames } from '@peerpods/protocols';
import { clientTlsOptions } from '@peerpods/tls';
import { forwardingMethods, type RawHandler, TtrpcClient, TtrpcServer } from '@peerpods/ttrpc';
import { AgentProxy } from '../src/agent-proxy';
import { createDaemonMetrics } from '../src/metrics/daemon-metrics';

const [role, ...args] = process.argv.slice(2);
const echo: RawHandler = (call) => call.payload;
const table = (handler: RawHandler, names: string[]) => Object.fromEntries(names.map((n) => [n, handler]));
let stop: () => Promise<void> = async () => {};

if (role === 'agent') {
  const server = new TtrpcServer()
    .register(AgentService.fullName, table(echo, methodNames(AgentService)))
    .register(HealthService.fullName, table(echo, methodNames(HealthService)));
  await server.listen({ path: args[0]! });
  stop = () => server.close();
} else if (role === 'forwarder') {
  const [host, port, agentSocket, apfPath] = args as [string, string, string, string];
  const apf = JSON.parse(readFileSync(apfPath, 'utf8')) as Record<string, string>;
  const upstream = await TtrpcClient.connect({ path: agentSocket });
  const server = new TtrpcServer()
    .register(AgentService.fullName, forwardingMethods(methodNames(AgentService), upstream))
    .register(HealthService.fullName, forwardingMethods(methodNames(HealthService), upstream));
  await server.listen({
    host,
    port: Number(port),
    tls: {
      cert: apf['tls-server-cert'],
      key: apf['tls-server-key'],
      ca: apf['tls-client-ca'],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
  });
  stop = () => server.close();
} else if (role === 'proxy') {
  const [socket, host, port, ca, cert, key, name, withMetrics] = args as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  let onCall: ((method: string, code: number) => void) | undefined;
  if (withMetrics === 'metrics') {
    const { prom, registry } = await loadPrometheus();
    onCall = createDaemonMetrics(prom, registry, 'local').agentCall;
  }
  const proxy = new AgentProxy({
    socketPath: socket,
    target: {
      host,
      port: Number(port),
      tls: clientTlsOptions({
        ca: readFileSync(ca, 'utf8'),
        cert: readFileSync(cert, 'utf8'),
        key: readFileSync(key, 'utf8'),
        serverName: name,
      }),
    },
    proxyTimeoutMs: 10_000,
    log: silentLogger,
    ...(onCall ? { onCall } : {}),
  });
  await proxy.start(new AbortController().signal);
  stop = () => proxy.stop();
} else {
  console.error('usage: hops.ts agent|forwarder|proxy ...');
  process.exit(2);
}
process.stdout.write('READY\n');
process.stdin.on('end', () => {
  stop().then(() => process.exit(0));
});
process.stdin.resume();
