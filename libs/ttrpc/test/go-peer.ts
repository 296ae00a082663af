import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { goPeerBinary } from '@peerpods/ttrpc-go-peer';

const run = promisify(execFile);

/** One JSON line of `ttrpc-go-peer call`. */
export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  code: number;
  message: string;
  payloadHex: string;
  payloadLen: number;
  metadata: Array<{ key: string; value: string }>;
  timeoutNano: number;
  details: Record<string, unknown>;
  elapsedMs: number;
}

export type Endpoint = string[]; // e.g. ['--unix', path] plus TLS flags

/** Starts `ttrpc-go-peer serve`; resolves once it prints READY. Stops when the returned process is killed. */
export async function startGoServer(endpoint: Endpoint): Promise<{ process: ChildProcess; address: string }> {
  const child = spawn(goPeerBinary(), ['serve', ...endpoint], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const match = /^READY (\S+)/.exec(line.toString());
  assert.ok(match, `go peer said: ${line.toString()}`);
  return { process: child, address: match[1]! };
}

export async function stopGoServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  child.kill('SIGTERM');
  await exited;
}

/** Runs one Go client scenario and returns its JSON result. */
export async function goCall(endpoint: Endpoint, scenario: string): Promise<ScenarioResult> {
  const { stdout } = await run(goPeerBinary(), ['call', ...endpoint, '--scenario', scenario], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as ScenarioResult;
}

export interface BenchResult {
  calls: number;
  seconds: number;
  callsPerSec: number;
  p50us: number;
  p99us: number;
  concurrency: number;
  size: number;
  errors?: number;
}

export async function goBench(
  endpoint: Endpoint,
  concurrency: number,
  size: number,
  durationMs: number,
): Promise<BenchResult> {
  const { stdout } = await run(goPeerBinary(), [
    'bench',
    ...endpoint,
    '--concurrency',
    String(concurrency),
    '--size',
    String(size),
    '--duration-ms',
    String(durationMs),
  ]);
  return JSON.parse(stdout) as BenchResult;
}
