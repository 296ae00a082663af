import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

// agent-protocol-forwarder logs this once its pod network is up and it accepts connections.
const LISTENING = /\[forwarder\] listening on /;
const POLL_MS = 10;

/**
 * Resolves once the forwarder says it listens, the way a cloud reports a VM "running" only after it
 * booted: the daemon's proxy then connects on its first try instead of backing off, and a forwarder
 * that dies at boot fails the create with its own words rather than a proxy time-out minutes later.
 */
export async function waitForForwarder(
  forwarder: ChildProcess,
  logFile: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (LISTENING.test(log)) return;
    if (forwarder.exitCode !== null || forwarder.signalCode !== null) {
      const tail = log.trim().split('\n').slice(-5).join('\n');
      throw new Error(
        `agent-protocol-forwarder exited (${forwarder.signalCode ?? `code ${forwarder.exitCode}`}) during boot${tail ? `: ${tail}` : ''}`,
      );
    }
    signal.throwIfAborted();
    if (performance.now() > until) {
      throw new Error(
        `agent-protocol-forwarder did not start listening within ${timeoutMs} ms (log: ${logFile})`,
      );
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}
