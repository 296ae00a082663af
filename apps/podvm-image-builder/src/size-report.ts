import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes under a path (files only; hard links counted once), like `du -sb`. */
export async function treeBytes(path: string, seen = new Set<string>()): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path, { bigint: false });
  } catch {
    return 0;
  }
  if (info.isFile()) {
    const key = `${info.dev}:${info.ino}`;
    if (seen.has(key)) return 0;
    seen.add(key);
    return info.size;
  }
  if (!info.isDirectory()) return 0;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    total += await treeBytes(join(path, entry.name), seen);
  }
  return total;
}

export interface SizeLine {
  what: string;
  bytes: number;
}

/** What takes the space in the image's root filesystem, largest first, with "the rest" last. */
export async function sizeReport(
  root: string,
  parts: readonly { what: string; paths: readonly string[] }[],
): Promise<SizeLine[]> {
  const total = await treeBytes(root);
  const lines: SizeLine[] = [];
  let counted = 0;
  for (const part of parts) {
    let bytes = 0;
    for (const path of part.paths) bytes += await treeBytes(join(root, path));
    counted += bytes;
    lines.push({ what: part.what, bytes });
  }
  lines.sort((a, b) => b.bytes - a.bytes);
  lines.push({
    what: 'the rest of Debian (minbase, systemd, udev, iproute2, iptables)',
    bytes: total - counted,
  });
  lines.push({ what: 'total', bytes: total });
  return lines;
}

export const formatMiB = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
