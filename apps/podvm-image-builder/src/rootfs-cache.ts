import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command';
import { unmountAllUnder } from './mounts';

/**
 * What the pod VM runs on top of Debian's minbase: systemd and udev (the boot chain and the
 * /dev/disk/by-label link the cidata mount waits for), the tools the forwarder and peerpod-tunnel
 * call (ip, tc, iptables, modprobe), Debian's cloud kernel with its initramfs, GRUB's BIOS images
 * (core.img is made from them), busybox for debugging (wget, nc), and what Node links beyond minbase.
 */
export const ROOTFS_PACKAGES = [
  'systemd-sysv',
  'udev',
  'kmod',
  'iproute2',
  'iptables',
  'e2fsprogs',
  'linux-image-cloud-amd64',
  'grub-pc-bin',
  'busybox',
  // The Node runtime in our single executables links it.
  'libatomic1',
] as const;

// Bump when the way the cached tree is made changes, so old caches are not reused.
const CACHE_FORMAT = 1;

export interface RootfsInputs {
  release: string;
  mirror: string;
  packages: readonly string[];
}

export function rootfsCacheKey(inputs: RootfsInputs): string {
  const text = JSON.stringify({ format: CACHE_FORMAT, ...inputs, packages: [...inputs.packages].sort() });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

// Package caches and documentation: nothing the pod VM reads, and about 180 MB.
const SLIM_PATHS = [
  'var/cache/apt',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/locale',
  'usr/share/info',
  'var/log',
];

/**
 * The debootstrapped tree for these inputs: from the cache when a previous build made it, else made
 * now (into a partial directory renamed into place only when complete, so an interrupted build never
 * leaves a cache entry that looks whole).
 */
export async function cachedRootfs(
  cacheDir: string,
  inputs: RootfsInputs,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ dir: string; cached: boolean }> {
  const dir = join(cacheDir, `rootfs-${inputs.release}-${rootfsCacheKey(inputs)}`);
  if (existsSync(join(dir, '.complete'))) return { dir, cached: true };
  await mkdir(cacheDir, { recursive: true });
  const partial = `${dir}.partial-${process.pid}`;
  try {
    await runCommand(
      [
        'debootstrap',
        '--variant=minbase',
        `--include=${inputs.packages.join(',')}`,
        inputs.release,
        partial,
        inputs.mirror,
      ],
      { onLine, signal, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
    );
    await unmountAllUnder(partial);
    for (const path of SLIM_PATHS) {
      await rm(join(partial, path), { recursive: true, force: true });
      await mkdir(join(partial, path), { recursive: true });
    }
    await writeFile(join(partial, '.complete'), `${JSON.stringify(inputs)}\n`);
    return { dir, cached: !(await publishTree(partial, dir)) };
  } catch (error) {
    await unmountAllUnder(partial).catch(() => []);
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Moves a complete tree (`partial`, holding `.complete`) to `dir`. When another build of the same
 * inputs got there first (tests build side by side), its tree is as good as ours and may be being
 * copied from right now, so it stays and ours is removed. Resolves whether ours was the one kept.
 */
export async function publishTree(partial: string, dir: string): Promise<boolean> {
  try {
    await rename(partial, dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(dir, '.complete'))) throw error;
    await rm(partial, { recursive: true, force: true });
    return false;
  }
}
