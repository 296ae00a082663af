import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the root partition starts in our raw images (podvm-image-builder's layout). */
export const ROOT_PARTITION_OFFSET = 1024 * 1024;

/**
 * Copies a raw image's root filesystem into `target` with debugfs (no mount, no loop device), keeping
 * modes and owners, as root.
 */
export async function extractRootFilesystem(rawImage: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  // debugfs reports a failed command on stderr and still exits 0: check that something came out.
  const { stderr } = await run(
    'debugfs',
    ['-R', `rdump / ${target}`, `${rawImage}?offset=${ROOT_PARTITION_OFFSET}`],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if ((await readdir(target)).length === 0) throw new Error(`debugfs could not read ${rawImage}: ${stderr}`);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * One line per file under `dir`, timestamps left out: path, type, mode, owner, and the content's
 * SHA-256 or the link's target. Two trees that differ only in timestamps give equal maps.
 */
export async function treeManifest(dir: string): Promise<Map<string, string>> {
  const manifest = new Map<string, string>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of (await readdir(join(dir, relative))).sort()) {
      const path = relative ? `${relative}/${entry}` : entry;
      const full = join(dir, path);
      const info = await lstat(full);
      const owner = `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`;
      if (info.isSymbolicLink()) manifest.set(path, `link ${owner} -> ${await readlink(full)}`);
      else if (info.isDirectory()) {
        manifest.set(path, `dir ${owner}`);
        await walk(path);
      } else if (info.isFile()) manifest.set(path, `file ${owner} ${info.size} ${await sha256(full)}`);
      else manifest.set(path, `special ${owner} ${info.mode >> 12}`);
    }
  };
  await walk('');
  return manifest;
}

/** What differs between two manifests: one line per path, at most `limit` lines. */
export function manifestDifferences(
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
  limit = 50,
): string[] {
  const lines: string[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const left = a.get(path);
    const right = b.get(path);
    if (left !== right) lines.push(`${path}: ${left ?? '(absent)'} | ${right ?? '(absent)'}`);
  }
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}
