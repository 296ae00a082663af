// Agent-proxy overhead: Health.Check (empty) and 64 KiB calls through
//   client → AgentProxy (unix) → TLS → forwarder stand-in → test agent (unix)
// against the same calls made directly to the test agent, in the same run; and the cost of
// -metrics-addr on that path: a proxy counting every call in the daemon's metrics against one
// without, with a third identical proxy without metrics as the control (how much two equal proxies
// differ on this machine), all in the same rounds. Every hop is its own process running the esbuild bundle, as shipped. Prints
// medians of 3 rounds.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CertificateAuthority, createSelfSignedClientCertificate } from '@peerpods/tls';
import { TtrpcClient } from '@peerpods/ttrpc';
import { build } from 'esbuild';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'caa-bench-'));
const children: ChildProcess[] = [];

async function startHop(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [join(dir, 'hops.mjs'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  // A hop that dies before READY fails the run instead of leaving it waiting.
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`hop ${args[0]} exited with ${code} before it was ready`);
  });
  // Only the race below cares: the exit at the end of the run is expected.
  exited.catch(() => {});
  const [line] = (await Promise.race([once(child.stdout!, 'data'), exited])) as [Buffer];
  if (!line.toString().startsWith('READY')) throw new Error(`hop ${args[0]} said ${line}`);
}

interface Result {
  callsPerSec: number;
  p50us: number;
}

async function measure(
  path: string,
  service: string,
  method: string,
  payload: Uint8Array,
  concurrency: number,
): Promise<Result> {
  const client = await TtrpcClient.connect({ path });
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stop) {
      const start = performance.now();
      await client.call(service, method, payload);
      if (measuring) latencies.push(performance.now() - start);
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, DURATION_MS));
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(loops);
  client.close();
  latencies.sort((a, b) => a - b);
  return { callsPerSec: latencies.length / seconds, p50us: latencies[latencies.length >> 1]! * 1000 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

try {
  await build({
    entryPoints: [resolve(import.meta.dirname, 'hops.ts')],
    outfile: join(dir, 'hops.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    // prom-client is CommonJS and requires Node's built-ins: an ESM bundle needs a require for them.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const name = 'podvm-bench-12345678';
  const ca = await CertificateAuthority.create();
  const server = await ca.issueServerCertificate(name);
  const client = await createSelfSignedClientCertificate('cloud-api-adaptor');
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'client.pem'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  writeFileSync(
    join(dir, 'apf.json'),
    JSON.stringify({
      'tls-server-cert': server.certPem,
      'tls-server-key': server.keyPem,
      'tls-client-ca': client.certPem,
    }),
  );
  const agentSocket = join(dir, 'agent.sock');
  const proxySocket = join(dir, 'agent.ttrpc');
  const meteredSocket = join(dir, 'agent-metered.ttrpc');
  const controlSocket = join(dir, 'agent-control.ttrpc');
  await startHop(['agent', agentSocket]);
  await startHop(['forwarder', '127.0.0.1', '15150', agentSocket, join(dir, 'apf.json')]);
  // The three proxies differ only in their socket and whether they count calls in the metrics.
  const startProxy = (socket: string, ...extra: string[]) =>
    startHop([
      'proxy',
      socket,
      '127.0.0.1',
      '15150',
      join(dir, 'ca.pem'),
      join(dir, 'client.pem'),
      join(dir, 'client.key'),
      name,
      ...extra,
    ]);
  await startProxy(proxySocket);
  await startProxy(meteredSocket, 'metrics');
  await startProxy(controlSocket);

  const cases = [
    { label: 'Health.Check (empty)', service: 'grpc.Health', method: 'Check', payload: new Uint8Array(0) },
    {
      label: 'WriteStdin 64 KiB',
      service: 'grpc.AgentService',
      method: 'WriteStdin',
      payload: Buffer.alloc(64 * 1024, 7),
    },
  ];
  const rows: string[] = [];
  const meteredRows: string[] = [];
  const summary = (results: Result[]) => ({
    cps: median(results.map((r) => r.callsPerSec)),
    p50: median(results.map((r) => r.p50us)),
  });
  for (const { label, service, method, payload } of cases) {
    for (const concurrency of [1, 64]) {
      const direct: Result[] = [];
      const proxied: Result[] = [];
      const metered: Result[] = [];
      const control: Result[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        direct.push(await measure(agentSocket, service, method, payload, concurrency));
        // Rotated, so no proxy always runs right after another one's load.
        const runs = [
          () => measure(proxySocket, service, method, payload, concurrency).then((r) => proxied.push(r)),
          () => measure(meteredSocket, service, method, payload, concurrency).then((r) => metered.push(r)),
          () => measure(controlSocket, service, method, payload, concurrency).then((r) => control.push(r)),
        ];
        for (let i = 0; i < runs.length; i++) await runs[(i + round) % runs.length]!();
      }
      const d = summary(direct);
      const p = summary(proxied);
      const m = summary(metered);
      const c = summary(control);
      rows.push(
        `| ${label} | ${concurrency} | ${d.p50.toFixed(0)} | ${p.p50.toFixed(0)} | **${(p.p50 - d.p50).toFixed(0)}** | ` +
          `${d.cps.toFixed(0)} | ${p.cps.toFixed(0)} | **${((100 * p.cps) / d.cps).toFixed(0)}%** |`,
      );
      meteredRows.push(
        `| ${label} | ${concurrency} | ${p.p50.toFixed(0)} | ${m.p50.toFixed(0)} | **${(m.p50 - p.p50).toFixed(0)}** | ` +
          `${(c.p50 - p.p50).toFixed(0)} | **${((100 * m.cps) / p.cps).toFixed(0)}%** | ${((100 * c.cps) / p.cps).toFixed(0)}% |`,
      );
      process.stderr.write(`done: ${label}, ${concurrency} in flight\n`);
    }
  }
  console.log(
    `agent proxy overhead; ${DURATION_MS} ms per case, median of ${ROUNDS} rounds; direct = client → test agent`,
  );
  console.log(
    'proxied = client → AgentProxy → mTLS → forwarder stand-in → test agent (each hop its own process)\n',
  );
  console.log(
    '| call | in flight | direct p50 µs | proxied p50 µs | added p50 µs | direct calls/s | proxied calls/s | proxied/direct |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log(
    '\nmetrics cost on the proxy path: the same proxy with -metrics-addr counting (on) and without (off);' +
      ' control = a second proxy without metrics (how far two equal proxies differ here)\n',
  );
  console.log(
    '| call | in flight | off p50 µs | on p50 µs | added p50 µs | control − off p50 µs | on/off calls/s | control/off calls/s |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of meteredRows) console.log(row);
} finally {
  for (const child of children) child.stdin?.end();
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  rmSync(dir, { recursive: true, force: true });
}
