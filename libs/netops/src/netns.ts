import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { NetnsNotFoundError } from './errors';

/**
 * Where a command runs. Named namespaces (under /run/netns) use the tools' own `-n NAME`, which costs
 * nothing extra; any other path goes through `nsenter --net=PATH`. The Node process itself never
 * switches namespace: it could not switch back safely while other work is in flight.
 */
export type NetnsTarget =
  | { readonly kind: 'host' }
  | { readonly kind: 'named'; readonly name: string; readonly path: string }
  | { readonly kind: 'path'; readonly path: string };

const NAMED_DIRS = new Set(['/run/netns', '/var/run/netns']);

/** Where `ip netns add NAME` puts a namespace. */
export function namedNetnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** Classifies a netns path (absent: the caller's own namespace). Does not touch the file system. */
export function netnsTarget(path?: string): NetnsTarget {
  if (path === undefined) return { kind: 'host' };
  const absolute = resolve(path);
  if (NAMED_DIRS.has(dirname(absolute))) return { kind: 'named', name: basename(absolute), path };
  return { kind: 'path', path };
}

/** The command line that runs iproute2's `ip` or `tc` with `args` in the namespace. */
export function iproute2InNetns(
  target: NetnsTarget,
  tool: 'ip' | 'tc',
  args: readonly string[],
): { file: string; args: string[] } {
  switch (target.kind) {
    case 'host':
      return { file: tool, args: [...args] };
    case 'named':
      return { file: tool, args: ['-n', target.name, ...args] };
    case 'path':
      return { file: 'nsenter', args: [`--net=${target.path}`, tool, ...args] };
  }
}

/** The command line that runs any program (iptables) in the namespace. */
export function execInNetns(
  target: NetnsTarget,
  file: string,
  args: readonly string[],
): { file: string; args: string[] } {
  switch (target.kind) {
    case 'host':
      return { file, args: [...args] };
    case 'named':
      return { file: 'ip', args: ['netns', 'exec', target.name, file, ...args] };
    case 'path':
      return { file: 'nsenter', args: [`--net=${target.path}`, file, ...args] };
  }
}

/**
 * What `ip link set DEV netns <ref>` needs to move a link into the namespace: the name of a named one,
 * otherwise the path itself (iproute2 opens an argument containing `/` as a namespace file).
 */
export function netnsMoveRef(path: string): string {
  const target = netnsTarget(path);
  return target.kind === 'named' ? target.name : path;
}

let nsfsDevice: Promise<number> | undefined;

/**
 * Whether `path` is a network namespace: it exists and is an nsfs file (a bind mount or a
 * /proc/PID/ns link). A leftover /run/netns file with nothing mounted on it is not.
 */
export async function netnsExists(path: string): Promise<boolean> {
  try {
    await assertNetnsExists(path);
    return true;
  } catch (error) {
    if (error instanceof NetnsNotFoundError) return false;
    throw error;
  }
}

/** Throws {@link NetnsNotFoundError} (`network namespace <path> does not exist`) unless it is one. */
export async function assertNetnsExists(path: string): Promise<void> {
  let device: number;
  try {
    device = (await stat(path)).dev;
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) throw new NetnsNotFoundError(path);
    throw error;
  }
  // Every namespace file lives on the one nsfs superblock, so its device is that of our own.
  nsfsDevice ??= stat('/proc/self/ns/net').then((s) => s.dev);
  if (device !== (await nsfsDevice)) {
    throw new NetnsNotFoundError(path, 'the file exists but no namespace is mounted on it');
  }
}

/** Resolves the namespace of `options.netns`, checking first that it exists. */
export async function resolveNetns(path: string | undefined): Promise<NetnsTarget> {
  if (path !== undefined) await assertNetnsExists(path);
  return netnsTarget(path);
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
