import { readFile, stat } from 'node:fs/promises';
import { runIproute2 } from './iproute2';
import type { NetopsOptions } from './options';

/** How often the ip process's view of its namespace is read while it runs. */
const POLL_MS = 1;

export interface DeleteLinkOptions extends NetopsOptions {
  /**
   * Delete the links of this link group instead (`ip link del group G`): the kernel then deletes the
   * link only if it is in that group, and fails with `No such device` when no link is. `name` is
   * only watched.
   */
  readonly group?: number;
}

/**
 * `ip link del NAME`, resolved as soon as the link has left the namespace rather than when ip exits.
 *
 * The kernel answers a link delete only after `rcu_barrier()` in `netdev_run_todo()`, which runs once
 * the link is unlisted, its qdiscs and sockets released and the rtnl lock dropped: ~15–20 ms here of
 * waiting for RCU callbacks of the whole machine (see the README's figures). Nothing of the link is
 * visible by then and any later change queues behind the rtnl lock, so there is no need to wait.
 * The link's absence is read from `/proc/PID/net/dev` of the ip process itself, which shows the
 * namespace ip switched into; it counts only once the link has been seen there, so a link that was
 * never there still ends in ip's own error. ip's exit status after that point is not waited for; its
 * request has been carried out. With a custom `run` (no pid) this waits for the command as usual.
 */
export async function deleteLink(name: string, options: DeleteLinkOptions = {}): Promise<void> {
  let settled = false;
  let early: (() => void) | undefined;
  const unlisted = new Promise<void>((resolve) => {
    early = resolve;
  });
  const watch = async (pid: number) => {
    const target = await stat(options.netns ?? '/proc/self/ns/net');
    let inside = false;
    let seen = false;
    while (!settled) {
      try {
        if (!inside) {
          const ns = await stat(`/proc/${pid}/ns/net`);
          inside = ns.ino === target.ino && ns.dev === target.dev;
        }
        if (inside) {
          const present = hasDevice(await readFile(`/proc/${pid}/net/dev`, 'utf8'), name);
          if (present) seen = true;
          else if (seen) {
            early?.();
            return;
          }
        }
      } catch {
        return; // the process is gone: its exit status decides
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const target = options.group === undefined ? ['dev', name] : ['group', String(options.group)];
  const command = runIproute2('ip', ['link', 'del', ...target], options, undefined, (pid) => {
    void watch(pid).catch(() => {});
  }).finally(() => {
    settled = true;
  });
  // Once resolved early, a late failure has nobody to tell (and cannot follow a done delete).
  command.catch(() => {});
  await Promise.race([command, unlisted]);
  settled = true;
}

/** Whether /proc/net/dev text lists `name` (lines `  name: counters...`; names cannot hold ':'). */
export function hasDevice(procNetDev: string, name: string): boolean {
  return procNetDev.split('\n').some((line) => {
    const colon = line.indexOf(':');
    return colon > 0 && line.slice(0, colon).trim() === name;
  });
}
