// Daemon-own time for CreateVM + StartVM with an instant provider, 50 sandboxes at once, and the
// daemon's RSS with the 50 sandboxes active. The daemon runs as its own process (esbuild bundle, as
// shipped); "own time" is the client-observed CreateVM + StartVM time minus the provider's
// createInstance time, which the daemon logs per sandbox.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HypervisorService, hypervisor } from '@peerpods/protocols';
import { createServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { build } from 'esbuild';

const PODS = Number(process.env.BENCH_PODS ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'caa-lifecycle-'));
const bundle = (entry: string, out: string) =>
  build({
    entryPoints: [resolve(import.meta.dirname, entry)],
    outfile: join(dir, out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });

async function call<T>(
  socket: string,
  work: (c: ReturnType<typeof createServiceClient<typeof HypervisorService>>) => Promise<T>,
) {
  const client = await TtrpcClient.connect({ path: socket });
  try {
    return await work(createServiceClient(HypervisorService, client));
  } finally {
    client.close();
  }
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;

try {
  await bundle('bench-daemon.ts', 'daemon.cjs');
  await bundle('standin-process.ts', 'standin.cjs');
  const port = await new Promise<number>((done) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => done(port));
    });
  });
  const socket = join(dir, 'hypervisor.sock');
  const daemon = spawn(
    process.execPath,
    [
      join(dir, 'daemon.cjs'),
      'bench',
      '-socket',
      socket,
      '-pods-dir',
      join(dir, 'pods'),
      '-forwarder-port',
      String(port),
    ],
    {
      env: { ...process.env, BENCH_STANDIN: join(dir, 'standin.cjs') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let logs = '';
  daemon.stdout!.on('data', (chunk) => {
    logs += chunk;
  });
  while (!logs.includes('server started')) await new Promise((r) => setTimeout(r, 20));
  const idleRss =
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))![1]) / 1024;

  const ids = Array.from({ length: PODS }, (_, i) => i.toString(16).padStart(64, 'b'));
  const clientMs = new Map<string, number>();
  const allStarted = performance.now();
  await Promise.all(
    ids.map(async (id, i) => {
      const started = performance.now();
      await call(socket, (c) =>
        c.createVM(
          hypervisor.CreateVMRequest.fromPartial({
            id,
            annotations: {
              'io.kubernetes.cri.sandbox-name': `bench-${i}`,
              'io.kubernetes.cri.sandbox-namespace': 'default',
            },
            networkNamespacePath: '/var/run/netns/bench',
          }),
        ),
      );
      await call(socket, (c) => c.startVM({ id }, { timeoutMs: 120_000 }));
      clientMs.set(id, performance.now() - started);
    }),
  );
  const wallMs = performance.now() - allStarted;
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
  const ownMs = ids.map((id) => {
    const line = new RegExp(`started sandbox ${id} in [\\d.]+ ms \\(instance ([\\d.]+) ms`).exec(logs);
    return clientMs.get(id)! - Number(line![1]);
  });
  await Promise.all(ids.map((id) => call(socket, (c) => c.stopVM({ id }))));
  const exited = once(daemon, 'exit');
  daemon.kill('SIGTERM');
  await exited;

  console.log(`${PODS} sandboxes, CreateVM + StartVM all at once; daemon as its own process (bundle)\n`);
  console.log('| figure | value | goal |');
  console.log('|---|---:|---:|');
  console.log(
    `| wall time for all ${PODS}, divided by ${PODS} (throughput view) | ${(wallMs / PODS).toFixed(1)} ms | ≤ 50 ms |`,
  );
  console.log(
    `| daemon-own time per pod, p50 (latency view, includes queueing behind the other ${PODS - 1}) | ${percentile(ownMs, 0.5).toFixed(1)} ms | ≤ 50 ms |`,
  );
  console.log(`| daemon-own time per pod, p90 | ${percentile(ownMs, 0.9).toFixed(1)} ms | |`);
  console.log(
    `| client-observed CreateVM + StartVM, p50 | ${percentile([...clientMs.values()], 0.5).toFixed(1)} ms | |`,
  );
  console.log(`| RSS idle (no sandboxes) | ${idleRss.toFixed(0)} MB | |`);
  console.log(`| RSS with ${PODS} active sandboxes | ${rss.toFixed(0)} MB | ≤ 150 MB |`);
  console.log(`| peak RSS (VmHWM) | ${hwm.toFixed(0)} MB | |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
