// Helpers every test suite needs; in one place so their clean-up rules are the same everywhere.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A fresh directory under the system temp dir, removed when the calling test file ends (even on failure). */
export function tempDir(prefix = 'peerpods-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A loopback TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `condition` until it holds; fails naming `what` after `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A TypeScript entry point run as its own process (through tsx), with stdout and stderr collected together. */
export function spawnTs(
  entry: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output: () => output };
}

/** Tests that build kernel objects call this first: as another user they fail, they never skip. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'this test needs root (it creates network namespaces, links and iptables rules): run it as root, as CI does',
    );
  }
}

let netnsCounter = 0;

/**
 * A named network namespace (loopback up) unique to this run, deleted when the calling test file ends,
 * even on failure, after killing whatever still runs in it. `prefix` keeps names short: links and
 * namespaces show up in other tests' leak checks by name.
 */
export function throwawayNetns(prefix: string): { name: string; path: string } {
  requireRoot();
  netnsCounter++;
  const name = `${prefix}-${process.pid}-${netnsCounter}`;
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  after(() => removeNetns(name));
  return { name, path: `/run/netns/${name}` };
}

/** Kills every process in the named namespace, then deletes it; fine when it is gone. */
export function removeNetns(name: string): void {
  if (!existsSync(`/run/netns/${name}`)) return;
  const pids = execFileSync('ip', ['netns', 'pids', name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .split('\n')
    .filter((line) => /^\d+$/.test(line));
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}
export { type NotifyListener, type NotifyMessage, startNotifyListener } from './notify-listener';
export { type PromSample, parsePromText, promValue } from './prometheus-text';
