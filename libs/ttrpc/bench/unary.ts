// Unary round trips on a unix socket: TS client ↔ TS server against Go client ↔ Go server
// (Debian's Go ttrpc 1.1.1, tools/ttrpc-go-peer), measured in the same run, in the same shape:
// server and client are separate processes, one connection, N loops of back-to-back calls.
// The TS side runs as esbuild bundles, as it ships. Usage: npm run bench -w libs/ttrpc
// (BENCH_DURATION_MS per case, default 3000; BENCH_ROUNDS, default 3, the median round is kept).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { type BenchResult, goBench, startGoServer, stopGoServer } from '../test/go-peer';

const run = promisify(execFile);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = 500;
const cases = [
  { concurrency: 1, size: 100 },
  { concurrency: 64, size: 100 },
  { concurrency: 1, size: 1 << 20 },
  { concurrency: 64, size: 1 << 20 },
];

const dir = mkdtempSync(join(tmpdir(), 'ttrpc-bench-'));
const bundle = (entry: string, out: string) =>
  build({
    entryPoints: [resolve(import.meta.dirname, entry)],
    outfile: join(dir, out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });

function median(results: BenchResult[]): BenchResult {
  return [...results].sort((a, b) => a.callsPerSec - b.callsPerSec)[results.length >> 1]!;
}

const rows: string[] = [];
try {
  await bundle('../test/fixtures/echo-server.ts', 'ts-server.mjs');
  await bundle('ts-bench-client.ts', 'ts-client.mjs');
  const tsPath = join(dir, 'ts.sock');
  const goPath = join(dir, 'go.sock');
  const tsServer = spawn(process.execPath, [join(dir, 'ts-server.mjs'), tsPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await once(tsServer.stdout, 'data');
  const goServer = await startGoServer(['--unix', goPath]);
  try {
    for (const { concurrency, size } of cases) {
      const tsRounds: BenchResult[] = [];
      const goRounds: BenchResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const args = [tsPath, concurrency, size, DURATION_MS, WARMUP_MS].map(String);
        const { stdout } = await run(process.execPath, [join(dir, 'ts-client.mjs'), ...args]);
        tsRounds.push(JSON.parse(stdout) as BenchResult);
        goRounds.push(await goBench(['--unix', goPath], concurrency, size, DURATION_MS));
      }
      const ts = median(tsRounds);
      const go = median(goRounds);
      const label = size >= 1 << 20 ? `${size >> 20} MiB` : `${size} B`;
      rows.push(
        `| ${concurrency} | ${label} | ${ts.callsPerSec.toFixed(0)} | ${go.callsPerSec.toFixed(0)} | ` +
          `**${(ts.callsPerSec / go.callsPerSec).toFixed(2)}** | ${ts.p50us.toFixed(0)} | ${go.p50us.toFixed(0)} | ` +
          `**${(ts.p50us / go.p50us).toFixed(2)}** | ${ts.p99us.toFixed(0)} | ${go.p99us.toFixed(0)} |`,
      );
      process.stderr.write(`done: ${concurrency} in flight, ${label}\n`);
    }
  } finally {
    tsServer.stdin.end();
    tsServer.kill('SIGTERM');
    await stopGoServer(goServer.process);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `unary round trips on a unix socket; ${DURATION_MS} ms per case after ${WARMUP_MS} ms warm-up; ` +
    `median of ${ROUNDS} rounds (by calls/s), TS and Go rounds interleaved`,
);
console.log(
  'TS = @peerpods/ttrpc client and server; Go = containerd ttrpc 1.1.1 (Debian) client and server\n',
);
console.log(
  '| in flight | payload | TS calls/s | Go calls/s | TS/Go calls/s | TS p50 µs | Go p50 µs | TS/Go p50 | TS p99 µs | Go p99 µs |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
