import { type FileHandle, open, stat } from 'node:fs/promises';
import { NetopsCommandError } from './errors';
import { runIproute2 } from './iproute2';
import type { NetopsOptions } from './options';

/**
 * How often the namespace's device list is read while ip runs. Each read is one or two threadpool
 * operations (a positioned read, then the one that finds the end): every 4 ms keeps 20 deletes at
 * once well below what libuv's 4 threads serve, against ~15 ms of kernel work per delete.
 */
const POLL_MS = 4;

export interface DeleteLinkOptions extends NetopsOptions {
  /**
   * Delete the links of this link group instead (`ip link del group G`): the kernel deletes EVERY
   * link in that group, whatever its name, and fails with `No such device` when none is (or with
   * `Operation not supported`, deleting nothing, when one of them cannot be deleted, like lo). So G
   * must be a group only the caller's own links are in. `name` is only watched.
   */
  readonly group?: number;
}

/** Longest the delete is held back for a watcher that cannot get in place (then ip's exit decides). */
const WATCH_SETUP_LIMIT_MS = 1000;

/**
 * `ip link del NAME`, resolved as soon as the link has left the namespace rather than when ip exits.
 *
 * The kernel answers a link delete only after `rcu_barrier()` in `netdev_run_todo()`, which runs once
 * the link is unlisted, its qdiscs and sockets released and the rtnl lock dropped: ~15–20 ms here of
 * waiting for RCU callbacks of the whole machine (see the README's figures). Nothing of the link is
 * visible by then, and since the rtnl lock was released before that wait, later link changes do not
 * wait for it either (only ip does), so there is no need to wait.
 *
 * The link's absence is read from the namespace's device list. The delete goes to `ip -batch -` on
 * stdin, written only once the ip process is in the target namespace and its `/proc/PID/net/dev` is
 * open with the link seen in it: so the watcher never races the delete. That same file is then
 * re-read from position 0: a proc net file is bound to the namespace it was opened in, so what it
 * shows cannot change if ip exits and its PID is reused (or the process switches namespace) before
 * its exit is seen here. A link that was not there when ip arrived (or a delete that fails, leaving
 * it) ends in ip's own error. ip's exit status after the link is gone is not waited for; its request
 * has been carried out. With a custom `run` that passes `onSpawn` on, the same applies; one that does
 * not (no pid) runs the same batch and waits for the command as usual.
 */
export async function deleteLink(name: string, options: DeleteLinkOptions = {}): Promise<void> {
  let settled = false;
  let early: (() => void) | undefined;
  const unlisted = new Promise<void>((resolve) => {
    early = resolve;
  });
  const watch = async (pid: number, inPlace: () => void) => {
    const target = await stat(options.netns ?? '/proc/self/ns/net');
    const inTarget = async () => {
      const ns = await stat(`/proc/${pid}/ns/net`);
      return ns.ino === target.ino && ns.dev === target.dev;
    };
    let devices: FileHandle | undefined;
    let seen = false;
    try {
      while (!settled) {
        if (devices === undefined && (await inTarget())) {
          const opened = await open(`/proc/${pid}/net/dev`, 'r');
          // Still (or again) in the target after the open: the file is bound to the target namespace.
          if (await inTarget().catch(() => false)) devices = opened;
          else await opened.close();
        }
        if (devices !== undefined) {
          const present = hasDevice(await readFrom0(devices), name);
          inPlace();
          if (present) seen = true;
          else if (seen) {
            early?.();
            return;
          } else return; // Not there before the delete: ip's own answer decides.
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch {
      // The process went before its namespace file was open: its exit status decides.
    } finally {
      inPlace();
      await devices?.close().catch(() => {});
    }
  };
  const target = options.group === undefined ? ['dev', name] : ['group', String(options.group)];
  const command = runIproute2('ip', ['-batch', '-'], options, `link del ${target.join(' ')}\n`, (pid) => {
    // stdin (the delete) is written once this settles: the watcher is in place, gave up, or timed out.
    return new Promise<void>((inPlace) => {
      const limit = setTimeout(inPlace, WATCH_SETUP_LIMIT_MS);
      const release = () => {
        clearTimeout(limit);
        inPlace();
      };
      void watch(pid, release).catch(release);
    });
  })
    .catch((error: unknown) => {
      throw asSingleCommand(error, ['link', 'del', ...target]);
    })
    .finally(() => {
      settled = true;
    });
  // Once resolved early, a late failure has nobody to tell (and cannot follow a done delete).
  command.catch(() => {});
  await Promise.race([command, unlisted]);
  settled = true;
}

/** A failure of the one-line batch, told as the command it ran (`ip -n NS link del dev X: …`). */
function asSingleCommand(error: unknown, command: readonly string[]): unknown {
  if (!(error instanceof NetopsCommandError)) return error;
  const batch = error.args.lastIndexOf('-batch');
  if (batch < 0) return error;
  return new NetopsCommandError({
    file: error.file,
    args: [...error.args.slice(0, batch), ...command],
    failure: error.failure,
    stdout: error.stdout,
    stderr: error.stderr.replace(/^Command failed -:\d+\n?/m, ''),
  });
}

/** The whole file, read from position 0 (a proc seq file is produced afresh by each such read). */
async function readFrom0(file: FileHandle): Promise<string> {
  const chunks: Buffer[] = [];
  let position = 0;
  for (;;) {
    const buffer = Buffer.alloc(16 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether /proc/net/dev text lists `name` (lines `  name: counters...`; names cannot hold ':'). */
export function hasDevice(procNetDev: string, name: string): boolean {
  return procNetDev.split('\n').some((line) => {
    const colon = line.indexOf(':');
    return colon > 0 && line.slice(0, colon).trim() === name;
  });
}
