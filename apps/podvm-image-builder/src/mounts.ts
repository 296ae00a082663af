import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runCommand } from './command';

/** Mount points at or under `dir`, deepest first (the order they must be unmounted in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((point) => point === root || point.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Unmounts whatever is still mounted under `dir` (what debootstrap leaves when it fails half-way),
 * lazily if a plain unmount is refused, so removing the directory afterwards cannot reach the host's
 * /proc, /sys or /dev through a bind mount.
 */
export async function unmountAllUnder(dir: string): Promise<string[]> {
  const points = await mountsUnder(dir);
  for (const point of points) {
    try {
      await runCommand(['umount', point]);
    } catch {
      await runCommand(['umount', '--lazy', point]);
    }
  }
  return points;
}
