// Startup time of each single-executable binary (`--version`), against `node -e 0` measured
// in the same run as the reference floor. Usage: npm run bench -w tools/binary-smoke
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const WARMUP = 2;
const binDir = resolve(import.meta.dirname, '../../../dist/bin');
const binaries = [
  'cloud-api-adaptor',
  'agent-protocol-forwarder',
  'process-user-data',
  'peerpod-tunnel',
  'podvm-image-builder',
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeCommand(file: string, args: string[], cwd: string): number {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(file, args, { cwd, stdio: 'ignore' });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.status}`);
    if (i >= WARMUP) samples.push(elapsed);
  }
  return median(samples);
}

const cwd = mkdtempSync(join(tmpdir(), 'peerpods-bench-'));
try {
  const floor = timeCommand(process.execPath, ['-e', '0'], cwd);
  const rows = binaries.map((name) => {
    const ms = timeCommand(join(binDir, name), ['--version'], cwd);
    return { name, ms, ratio: ms / floor };
  });
  console.log(`startup, median of ${RUNS} runs (reference: node -e 0 = ${floor.toFixed(1)} ms)\n`);
  console.log('| binary | --version p50 | vs node -e 0 |');
  console.log('|---|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${row.ms.toFixed(1)} ms | ${row.ratio.toFixed(2)}x |`);
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
