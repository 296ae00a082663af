// cloud-api-adaptor with a `bench` provider: instances are created at once, on 127.0.0.x, and their
// forwarder stand-ins run in a separate process (BENCH_STANDIN, a bundle of standin-process.ts),
// so the daemon's RSS and time are its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startProgram } from '@peerpods/cli';
import { StubWorkerNetwork } from '@peerpods/podnetwork';
import { type Provider, ProviderRegistry } from '@peerpods/providers';
import { buildCli } from '../src/cli';

function benchProvider(): Provider & { setPort(port: number): void } {
  let standIn: ChildProcess | undefined;
  const waiting = new Map<string, () => void>();
  let port = 15150;
  let next = 2;
  const send = (message: object, key: string) =>
    new Promise<void>((resolve) => {
      waiting.set(key, resolve);
      standIn!.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  const ensure = () => {
    if (standIn) return;
    standIn = spawn(process.execPath, [process.env.BENCH_STANDIN!], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: standIn.stdout! }).on('line', (line) => {
      waiting.get(line)?.();
      waiting.delete(line);
    });
  };
  return {
    setPort: (value) => {
      port = value;
    },
    async createInstance(request) {
      ensure();
      const id = `bench-${next}`;
      const host = `127.0.${next >> 8}.${next & 255}`;
      next++;
      await send({ start: id, host, port, userData: request.userData }, `ready ${id}`);
      return { id, name: request.instanceName, ips: [host] };
    },
    async deleteInstance(id) {
      await send({ stop: id }, `stopped ${id}`);
    },
    async teardown() {
      standIn?.stdin?.end();
    },
    async verifyConfig() {},
    async listInstances() {
      return [];
    },
  };
}

const registry = new ProviderRegistry();
const provider = benchProvider();
registry.register({
  name: 'bench',
  description: 'benchmark provider: instant instances, forwarder stand-ins in another process',
  options: [],
  userDataEncoding: 'raw',
  create: async (config) => {
    provider.setPort(Number(config['forwarder-port']));
    return provider;
  },
});
startProgram(buildCli({ registry, network: new StubWorkerNetwork({ vxlanPort: 4789, vxlanMinId: 555000 }) }));
