/**
 * All-or-nothing file writes. `stage` writes each file completely to a temporary file in its target's
 * directory (created 0755 with its parents, as upstream's MkdirAll), sets its mode with fchmod (so
 * the umask cannot change it) and fsyncs it; `commit` then renames every temporary file over its
 * target and fsyncs the directories. A reader therefore sees each file either as it was or complete,
 * and any failure while staging — bad input found late, a full disk — leaves the targets untouched:
 * `abort` removes the temporary files. (Only the renames themselves, which cannot run out of space,
 * come after the point of no return.) Staging a target twice keeps the last content, as writing it
 * twice would.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

interface Staged {
  temp: string;
  mode: number;
}

/** Temporary files are dot-files named after their target; a crash can leave one, never a torn target. */
export const TEMP_MARKER = '.tmp-';

export class FileBatch {
  private readonly staged = new Map<string, Staged>();

  /** Target paths staged so far, in first-staged order. */
  get targets(): string[] {
    return [...this.staged.keys()];
  }

  async stage(target: string, content: string | Uint8Array, mode: number): Promise<void> {
    const dir = dirname(target);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const temp = join(dir, `.${basename(target)}${TEMP_MARKER}${globalThis.crypto.randomUUID()}`);
    const previous = this.staged.get(target);
    // Registered before writing, so abort() also removes a temp file whose write failed half way.
    this.staged.set(target, { temp, mode });
    if (previous) await rm(previous.temp, { force: true });
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Renames every staged file into place; returns the targets written. */
  async commit(): Promise<string[]> {
    const done: string[] = [];
    try {
      for (const [target, { temp }] of this.staged) {
        await rename(temp, target);
        done.push(target);
      }
    } catch (error) {
      for (const [target, { temp }] of this.staged)
        if (!done.includes(target)) await rm(temp, { force: true });
      this.staged.clear();
      throw error;
    }
    this.staged.clear();
    for (const dir of new Set(done.map((target) => dirname(target)))) await syncDirectory(dir);
    return done;
  }

  /** Removes every temporary file; the targets are as they were before. */
  async abort(): Promise<void> {
    for (const { temp } of this.staged.values()) await rm(temp, { force: true });
    this.staged.clear();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the renames durable on disk filesystems; /run is tmpfs, where it costs nothing.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the renames are done regardless.
  }
}
