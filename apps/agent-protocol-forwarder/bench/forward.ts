// Forwarder overhead per call: client → forwarder (mTLS, as cloud-api-adaptor connects) → test agent
// (unix), against the client calling the test agent's socket directly, in the same run; and the
// forwarder's idle RSS. Each role is its own process running the esbuild bundle, as shipped.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeApfConfig } from '@peerpods/apf-config';
import { clientTlsOptions } from '@peerpods/tls';
import { type ConnectTarget, TtrpcClient } from '@peerpods/ttrpc';
import { build } from 'esbuild';
import { apfConfig, caaPki, INSTANCE } from '../test/harness';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'apf-bench-'));
const children: ChildProcess[] = [];

async function start(args: string[]): Promise<number> {
  const child = spawn(process.execPath, [join(dir, 'hops.mjs'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return Number(/READY (\d+)/.exec(line.toString())![1]);
}

async function p50(target: ConnectTarget, payload: Uint8Array): Promise<number> {
  const client = await TtrpcClient.connect(target);
  const latencies: number[] = [];
  const until = performance.now() + DURATION_MS;
  for (let i = 0; i < 200; i++) await client.call('grpc.Health', 'Check', payload);
  while (performance.now() < until) {
    const started = performance.now();
    await client.call('grpc.Health', 'Check', payload);
    latencies.push(performance.now() - started);
  }
  client.close();
  latencies.sort((x, y) => x - y);
  return latencies[latencies.length >> 1]! * 1000;
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[values.length >> 1]!;

try {
  await build({
    entryPoints: [resolve(import.meta.dirname, 'hops.ts')],
    outfile: join(dir, 'hops.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'error',
  });
  const pki = await caaPki();
  writeFileSync(join(dir, 'apf.json'), serializeApfConfig(apfConfig(pki)));
  const agentSocket = join(dir, 'agent.sock');
  await start(['agent', agentSocket]);
  const forwarderPid = await start(['forwarder', join(dir, 'apf.json'), agentSocket]);
  await new Promise((r) => setTimeout(r, 1000));
  const idleRss =
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${forwarderPid}/status`, 'utf8'))![1]) / 1024;
  const viaForwarder: ConnectTarget = {
    host: '127.0.0.1',
    port: 15160,
    tls: clientTlsOptions({
      ca: pki.ca.certPem,
      cert: pki.client.certPem,
      key: pki.client.keyPem,
      serverName: INSTANCE,
    }),
  };
  const rows: string[] = [];
  for (const [label, payload] of [
    ['Health.Check, empty', new Uint8Array(0)],
    ['Health.Check, 4 KiB payload', Buffer.alloc(4096, 1)],
  ] as const) {
    const direct: number[] = [];
    const forwarded: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      direct.push(await p50({ path: agentSocket }, payload));
      forwarded.push(await p50(viaForwarder, payload));
    }
    const d = median(direct);
    const f = median(forwarded);
    rows.push(`| ${label} | ${d.toFixed(0)} | ${f.toFixed(0)} | **${(f - d).toFixed(0)}** |`);
  }
  console.log(
    `forwarder overhead, 1 call in flight, ${DURATION_MS} ms per case, median of ${ROUNDS} rounds\n`,
  );
  console.log('| call | direct to agent p50 µs | via forwarder (mTLS) p50 µs | added p50 µs |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log(`\nforwarder idle RSS: ${idleRss.toFixed(0)} MB (goal ≤ 60 MB)`);
} finally {
  for (const child of children) child.stdin?.end();
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  rmSync(dir, { recursive: true, force: true });
}
