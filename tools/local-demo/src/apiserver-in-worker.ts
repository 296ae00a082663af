import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKubeApiserver } from '@peerpods/fake-kube-apiserver';
import type { WorkerNode } from './worker-node';

/** Where the daemon in the worker reaches the API server: the kube-apiserver's usual port, on loopback. */
const WORKER_PORT = 6443;

// A byte relay from the worker's loopback to the fake's unix socket, which every network namespace
// shares: the fake runs in the test's process, the daemon in the worker's namespace.
const RELAY = `
const net = require('node:net');
const [port, path] = process.argv.slice(1);
net.createServer((client) => {
  const upstream = net.connect(path);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}).listen(Number(port), '127.0.0.1', () => console.log('relaying'));
`;

export interface ApiserverInWorker {
  fake: FakeKubeApiserver;
  /** A KUBECONFIG file for the daemon in the worker. */
  kubeconfigPath: string;
  stop(): Promise<void>;
}

/** The fake kube-apiserver, reachable from inside the worker at http://127.0.0.1:6443. */
export async function startApiserverInWorker(worker: WorkerNode): Promise<ApiserverInWorker> {
  const dir = await mkdtemp(join(tmpdir(), 'ppkube-'));
  const socketPath = join(dir, 'apiserver.sock');
  const fake = await FakeKubeApiserver.start({ socketPath });
  let relay: ChildProcess | undefined;
  const stop = async () => {
    if (relay && relay.exitCode === null && relay.signalCode === null) {
      relay.kill('SIGKILL');
      await once(relay, 'exit');
    }
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    relay = spawn(
      'nsenter',
      [`--net=${worker.path}`, process.execPath, '-e', RELAY, String(WORKER_PORT), socketPath],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [line] = (await Promise.race([once(relay.stdout!, 'data'), once(relay, 'exit')])) as [unknown];
    if (!String(line).includes('relaying'))
      throw new Error(`the API server relay in ${worker.name} did not start`);
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, fake.kubeconfig(`http://127.0.0.1:${WORKER_PORT}`));
    return { fake, kubeconfigPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
