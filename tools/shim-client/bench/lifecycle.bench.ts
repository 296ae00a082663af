// Figures for the README (root): createPodNetwork / deletePodNetwork medians in a throwaway worker
// netns, the binary's --version time, and a whole `shim-client run -- true` (binary, real pod network)
// against the in-process fake daemon and agent of the tests.
// Usage: npm run bench -w tools/shim-client [-- <rounds>]
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNetns, deleteNetns } from '@peerpods/netops';
import { createPodNetwork, deletePodNetwork } from '@peerpods/shim-client';
import { FakeCloud } from '../test/fakes';

const exec = promisify(execFile);
const rounds = Number(process.argv[2] ?? 20);
const binary = join(import.meta.dirname, '..', '..', '..', 'dist', 'bin', 'shim-client');
const worker = `sc-bench-${process.pid}`;
const workerPath = await createNetns(worker);
// Not test-support's tempDir: its after() hook would start the test runner.
const scratch = mkdtempSync(join(tmpdir(), 'shim-client-bench-'));
const ipamDir = join(scratch, 'ipam');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const row = (what: string, values: number[]): void =>
  console.log(
    `${what.padEnd(44)} median ${median(values).toFixed(1).padStart(7)} ms   min ${Math.min(...values).toFixed(1)}   max ${Math.max(...values).toFixed(1)}   (n=${values.length})`,
  );

const cloud = await new FakeCloud().start();
try {
  const creates: number[] = [];
  const deletes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let start = performance.now();
    const handle = await createPodNetwork({ name: `${worker}-p`, workerNetns: workerPath, ipamDir });
    creates.push(performance.now() - start);
    start = performance.now();
    await deletePodNetwork(handle);
    deletes.push(performance.now() - start);
  }
  row('createPodNetwork (bridge present)', creates);
  row('deletePodNetwork', deletes);

  const parallel: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const handles = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        createPodNetwork({ name: `${worker}-c${n}`, workerNetns: workerPath, ipamDir }),
      ),
    );
    parallel.push(performance.now() - start);
    await Promise.all(handles.map((handle) => deletePodNetwork(handle)));
  }
  row('10 concurrent createPodNetwork, wall', parallel);

  if (existsSync(binary)) {
    const versions: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await exec(binary, ['--version']);
      versions.push(performance.now() - start);
    }
    row('dist/bin/shim-client --version', versions);
    const runs: number[] = [];
    const stateDir = join(scratch, 'state');
    for (let i = 0; i < Math.min(rounds, 10); i++) {
      const start = performance.now();
      await exec(binary, [
        '--socket',
        cloud.socketPath,
        '--state-dir',
        stateDir,
        '--worker-netns',
        workerPath,
        '--ipam-dir',
        ipamDir,
        'run',
        '--',
        'true',
      ]);
      runs.push(performance.now() - start);
    }
    row('shim-client run -- true (fake daemon+agent)', runs);
  } else {
    console.log(`${binary} not built: npm run build -w tools/shim-client`);
  }
} finally {
  await cloud.stop();
  await deleteNetns(worker, { ifExists: true });
  rmSync(scratch, { recursive: true, force: true });
}
