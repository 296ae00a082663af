import { linkSync, renameSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@peerpods/log';

/** Whether something accepts connections on the unix socket (a stale file does not). */
export function isServed(socketPath: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

/**
 * Fails when something accepts connections on the unix socket: listening would replace the file and
 * silently take the kata shims away from a running daemon. A stale socket file (nobody listening) is
 * fine; listening replaces it.
 */
export async function refuseIfServed(socketPath: string): Promise<void> {
  if (await isServed(socketPath)) {
    throw new Error(
      `another process is serving ${socketPath} (a cloud-api-adaptor already running?); stop it, or use another -socket`,
    );
  }
}

const HANDOVER_POLL_MS = 50;
const spoken = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

/**
 * Kubernetes mode, once this daemon pod claimed the node: a daemon still serving the socket is the
 * previous pod of a surge rollout, which sees the claim and hands over (it stops serving and leaves
 * its running sandboxes). This waits for that. A daemon that does not hand over within the timeout
 * (upstream's, or one that hangs) loses the socket anyway, as upstream's new daemon takes it.
 * Resolves 'free', 'handed over' or 'taken'.
 */
export async function awaitHandover(
  socketPath: string,
  options: { timeoutMs: number; log: Logger },
): Promise<'free' | 'handed over' | 'taken'> {
  if (!(await isServed(socketPath))) return 'free';
  const began = performance.now();
  options.log.info(
    `waiting up to ${spoken(options.timeoutMs)} for the daemon serving ${socketPath} to hand its sandboxes over`,
  );
  while (await isServed(socketPath)) {
    if (performance.now() - began > options.timeoutMs) {
      options.log.warn(
        `the daemon serving ${socketPath} did not hand over in ${spoken(options.timeoutMs)}: taking the socket over; its running pods lose their agent connections`,
      );
      return 'taken';
    }
    await sleep(HANDOVER_POLL_MS);
  }
  options.log.info(`the previous daemon handed over in ${(performance.now() - began).toFixed(0)} ms`);
  return 'handed over';
}

/** The inode of the file at `path` (a socket's identity: a successor's listen replaces the file). */
export function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Closes this daemon's listener on `socketPath` without taking the path from a successor: closing
 * a unix listener unlinks its path, which, once a newer daemon has bound the same path (a takeover
 * after the handover timed out), would remove the newer daemon's socket. `ownInode` is the file's
 * inode when this daemon bound it.
 */
export async function closeLeavingSuccessor(
  socketPath: string,
  ownInode: number,
  close: () => Promise<void>,
): Promise<void> {
  const inode = inodeOf(socketPath);
  if (inode === undefined || inode === ownInode) return close();
  const kept = `${socketPath}.successor-${process.pid}`;
  // A link left by a crash here before (the pid is 1 in every container).
  rmSync(kept, { force: true });
  linkSync(socketPath, kept);
  let closing: Promise<void>;
  try {
    // The listener's path is unlinked synchronously inside close(), before its first await: the
    // successor's file goes back at once, not after the calls in flight have drained.
    closing = close();
  } finally {
    renameSync(kept, socketPath);
  }
  await closing;
}
