// Processes for the forwarder benchmark (esbuild-bundled by forward.ts):
//   agent <socket>                          test agent answering every call with its payload
//   forwarder <apf.json> <agent-socket>     the real forwarder (startForwarder) on 127.0.0.1:15160
// Each prints `READY <pid>` and exits when stdin closes.
import { readFileSync } from 'node:fs';
import { parseApfConfig } from '@peerpods/apf-config';
import { silentLogger } from '@peerpods/log';
import { AgentService, HealthService, methodNames } from '@peerpods/protocols';
import { type RawHandler, TtrpcServer } from '@peerpods/ttrpc';
import { startForwarder } from '../src/forwarder';
import { forwarderTlsOptions } from '../src/tls-settings';

const [role, a, b] = process.argv.slice(2);
let stop: () => Promise<void> = async () => {};
if (role === 'agent') {
  const echo: RawHandler = (call) => call.payload;
  const table = (names: string[]) => Object.fromEntries(names.map((n) => [n, echo]));
  const server = new TtrpcServer()
    .register(AgentService.fullName, table(methodNames(AgentService)))
    .register(HealthService.fullName, table(methodNames(HealthService)));
  await server.listen({ path: a! });
  stop = () => server.close();
} else if (role === 'forwarder') {
  const apf = parseApfConfig(readFileSync(a!, 'utf8'));
  const forwarder = await startForwarder({
    listen: { host: '127.0.0.1', port: 15160 },
    kataAgentSocket: b!,
    podNamespace: '/run/netns/podns',
    tls: await forwarderTlsOptions({}, apf, a!, silentLogger),
    log: silentLogger,
  });
  stop = () => forwarder.stop(100);
}
process.stdout.write(`READY ${process.pid}\n`);
process.stdin.on('end', () => {
  stop().then(() => process.exit(0));
});
process.stdin.resume();
