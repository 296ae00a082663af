import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface MakeDirectoryOptions {
  /** Mode of each directory created (not of ones that exist); default 0o777 less the umask. */
  mode?: number;
}

/**
 * `mkdir -p`: creates `path` and its missing parents, from the top down, one `mkdir` each.
 *
 * Why not `mkdirSync(path, { recursive: true })`: on Node 20 it never returns for a path under
 * /proc (mkdir there fails with ENOENT although the parent exists, and Node retries the parent and
 * the child forever), which would hang a daemon given such a path by a flag or a request. Here each
 * level is tried once and any failure other than "a directory is already there" is thrown, naming it.
 * Resolves with the first directory created, if any (as `mkdir -p` callers may want to undo it).
 */
export function makeDirectorySync(path: string, options: MakeDirectoryOptions = {}): string | undefined {
  let first: string | undefined;
  for (const level of levels(path)) {
    try {
      mkdirSync(level, { mode: options.mode });
      first ??= level;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectorySync(level)) throw error;
    }
  }
  return first;
}

/** {@link makeDirectorySync}, without blocking the event loop. */
export async function makeDirectory(
  path: string,
  options: MakeDirectoryOptions = {},
): Promise<string | undefined> {
  let first: string | undefined;
  for (const level of levels(path)) {
    try {
      await mkdir(level, { mode: options.mode });
      first ??= level;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await isDirectory(level))) throw error;
    }
  }
  return first;
}

/** `/a/b/c` → `/a`, `/a/b`, `/a/b/c` (absolute, normalised). */
function levels(path: string): string[] {
  const out: string[] = [];
  for (let level = resolve(path); level !== dirname(level); level = dirname(level)) out.unshift(level);
  return out;
}

function isDirectorySync(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
