import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NetnsProcessOptions {
  /** The whole environment: pod-VM processes get nothing of the daemon's own. */
  env: NodeJS.ProcessEnv;
  /** stdout and stderr go here (appended), so no pipe ties the process to the daemon. */
  logFile: string;
}

/**
 * Starts a long-running program inside a named network namespace. Its own process group, so a
 * Ctrl-C aimed at the daemon's terminal does not reach it: the provider decides when it stops.
 */
export function spawnInNetns(
  netns: string,
  file: string,
  args: readonly string[],
  options: NetnsProcessOptions,
): ChildProcess {
  // Truncated: a line left from an earlier boot must not pass for this one's.
  const log = openSync(options.logFile, 'w', 0o600);
  try {
    const child = spawn('ip', ['netns', 'exec', netns, file, ...args], {
      detached: true,
      stdio: ['ignore', log, log],
      env: options.env,
    });
    // The daemon may exit while the pod VM runs on; its leftovers are the next start's sweep.
    child.unref();
    // A failed spawn (no `ip`, EAGAIN) shows as an exit with no code; unhandled it would crash the daemon.
    child.on('error', () => {});
    return child;
  } finally {
    closeSync(log);
  }
}

/** Runs a program to completion inside a named network namespace; rejects with its output on failure. */
export function runInNetns(
  netns: string,
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', netns, file, ...args],
      { env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout + stderr);
          return;
        }
        const output = `${stdout}${stderr}`.trim().split('\n').slice(-5).join('\n');
        const how = error.killed ? `killed after ${options.timeoutMs} ms` : `exit ${String(error.code)}`;
        reject(new Error(`${file} ${args.join(' ')}: ${how}${output ? `: ${output}` : ''}`));
      },
    );
  });
}

/** Running, or stopped; a zombie counts as gone (its parent may never reap it). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself contain them.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/**
 * For processes that are not our children (found by namespace): sends `first` and waits up to
 * `graceMs`; whatever is still there then gets SIGKILL and is waited for.
 */
export async function stopProcesses(
  pids: readonly number[],
  first: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  for (const pid of pids) signal(pid, first);
  const until = performance.now() + graceMs;
  let left = pids.filter(isAlive);
  while (left.length > 0 && performance.now() < until) {
    await sleep(10);
    left = left.filter(isAlive);
  }
  for (const pid of left) signal(pid, 'SIGKILL');
  // SIGKILL cannot be ignored; the wait only covers the kernel's reaping of a busy process.
  const hardUntil = performance.now() + 5000;
  while (left.length > 0 && performance.now() < hardUntil) {
    await sleep(10);
    left = left.filter(isAlive);
  }
}

/**
 * Stops children this process started: `first`, up to `graceMs`, then SIGKILL. Signals go through the
 * ChildProcess, which sends nothing once the child has been reaped, so a recycled PID is never hit.
 */
export async function stopChildren(
  children: readonly ChildProcess[],
  first: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  const exited = running.map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      }),
  );
  for (const child of running) child.kill(first);
  let giveUp: (() => void) | undefined;
  const timer = setTimeout(() => {
    for (const child of running) child.kill('SIGKILL');
    // SIGKILL cannot be ignored; the bound only covers a process stuck in the kernel (state D).
    setTimeout(() => giveUp?.(), KILLED_WAIT_MS).unref();
  }, graceMs);
  await Promise.race([Promise.all(exited), new Promise<void>((resolve) => (giveUp = resolve))]);
  clearTimeout(timer);
}

const KILLED_WAIT_MS = 5000;
