import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isSea } from 'node:sea';

/** One file of a directory tree that a binary carries with it (package.json `peerpods.embed`). */
export interface EmbeddedFile {
  /** Relative path, `/`-separated. */
  path: string;
  /** Permission bits, such as 0o644 or 0o755. */
  mode: number;
  content: Buffer;
}

/** The SEA asset key of a tree embedded by scripts/make-sea.mjs. */
export const embeddedTreeKey = (name: string): string => `embed/${name}.json`;

/** Reads a directory tree into the form make-sea.mjs embeds. */
export async function readTree(dir: string): Promise<EmbeddedFile[]> {
  const files: EmbeddedFile[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const info = await stat(path);
        files.push({
          path: relative(dir, path).split('\\').join('/'),
          mode: info.mode & 0o7777,
          content: await readFile(path),
        });
      }
    }
  };
  await walk(dir);
  return files;
}

/**
 * A directory tree the binary was built with (such as the pod VM image's units): in the built
 * binary it is an asset, so the binary needs nothing beside it; from source, `sourceDir` is read.
 */
export async function embeddedTree(name: string, sourceDir: () => string): Promise<EmbeddedFile[]> {
  if (!isSea()) return readTree(sourceDir());
  const { getAsset } = await import('node:sea');
  const parsed = JSON.parse(getAsset(embeddedTreeKey(name), 'utf8')) as {
    path: string;
    mode: number;
    content: string;
  }[];
  return parsed.map((file) => ({
    path: file.path,
    mode: file.mode,
    content: Buffer.from(file.content, 'base64'),
  }));
}
