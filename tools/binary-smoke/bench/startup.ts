// Startup time (`--version`) and size of each single-executable binary, against `node -e 0` of the
// same runtime as the reference floor. Rounds interleave the reference and every binary, so a
// machine that speeds up or slows down during the run moves them alike.
// Usage: npm run bench -w tools/binary-smoke   (BENCH_RUNS=N, default 15)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;
const binDir = resolve(import.meta.dirname, '../../../dist/bin');
const binaries = [
  'cloud-api-adaptor',
  'agent-protocol-forwarder',
  'process-user-data',
  'peerpod-tunnel',
  'peerpods-webhook',
  'podvm-image-builder',
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeOnce(file: string, args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { cwd, stdio: 'ignore' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.status}`);
  return elapsed;
}

const cwd = mkdtempSync(join(tmpdir(), 'peerpods-bench-'));
try {
  const commands: Array<[string, string, string[]]> = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ...binaries.map((name): [string, string, string[]] => [name, join(binDir, name), ['--version']]),
  ];
  const samples = new Map<string, number[]>(commands.map(([name]) => [name, []]));
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const [name, file, args] of commands) {
      const ms = timeOnce(file, args, cwd);
      if (round >= WARMUP) samples.get(name)!.push(ms);
    }
  }
  const floor = median(samples.get('node -e 0')!);
  console.log(
    `startup, median of ${RUNS} interleaved runs, Node ${process.version} (reference: node -e 0 = ${floor.toFixed(1)} ms)\n`,
  );
  console.log('| binary | --version p50 | vs node -e 0 | size |');
  console.log('|---|---:|---:|---:|');
  for (const name of binaries) {
    const ms = median(samples.get(name)!);
    const megabytes = statSync(join(binDir, name)).size / 1e6;
    console.log(
      `| ${name} | ${ms.toFixed(1)} ms | ${(ms / floor).toFixed(2)}x | ${megabytes.toFixed(1)} MB |`,
    );
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
