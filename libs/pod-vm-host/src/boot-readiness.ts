import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

// agent-protocol-forwarder logs this once its pod network is up and it accepts connections.
const LISTENING = /\[forwarder\] listening on /;
const POLL_MS = 10;

export interface BootingPrograms {
  forwarder: ChildProcess;
  agent: ChildProcess;
  logs: { forwarder: string; agent: string };
}

/**
 * Resolves once the forwarder says it listens, the way a cloud reports a VM "running" only after it
 * booted: the daemon's proxy then connects on its first try instead of backing off. A forwarder or
 * agent that dies at boot fails the create with its own last words, rather than a proxy time-out (or
 * the forwarder's long wait for its agent) minutes later.
 */
export async function waitForBoot(
  programs: BootingPrograms,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    for (const [name, child, file] of [
      ['agent-protocol-forwarder', programs.forwarder, programs.logs.forwarder],
      ['the agent', programs.agent, programs.logs.agent],
    ] as const) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const tail = (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
        throw new Error(
          `${name} exited (${child.signalCode ?? `code ${child.exitCode}`}) during boot${tail ? `: ${tail}` : ''}`,
        );
      }
    }
    // Deaths first: a forwarder listening in front of a dead agent is no working VM.
    if (LISTENING.test(await readFile(programs.logs.forwarder, 'utf8').catch(() => ''))) return;
    signal.throwIfAborted();
    if (performance.now() > until) {
      throw new Error(
        `agent-protocol-forwarder did not start listening within ${timeoutMs} ms (log: ${programs.logs.forwarder})`,
      );
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}
