import { access } from 'node:fs/promises';
import { runCommand } from './command';
import { iproute2Json } from './iproute2';
import { str } from './json';
import { namedNetnsPath } from './netns';
import type { NetopsOptions } from './options';

/** Options of commands that run in the caller's namespace by nature. */
export type HostOptions = Omit<NetopsOptions, 'netns'>;

/** `ip netns add NAME`; resolves with the namespace's path, `/run/netns/NAME`. */
export async function createNetns(name: string, options: HostOptions = {}): Promise<string> {
  checkName(name);
  await (options.run ?? runCommand)('ip', ['netns', 'add', name], { timeoutMs: options.timeoutMs });
  return namedNetnsPath(name);
}

export interface DeleteNetnsOptions extends HostOptions {
  /** Resolve with false instead of failing when there is no such namespace. */
  readonly ifExists?: boolean;
}

/**
 * `ip netns del NAME`. Its links go with it (a veth's peer elsewhere too); a namespace that a process
 * still uses lives on, unnamed, until that process ends.
 */
export async function deleteNetns(name: string, options: DeleteNetnsOptions = {}): Promise<boolean> {
  checkName(name);
  if (options.ifExists === true && !(await fileExists(namedNetnsPath(name)))) return false;
  await (options.run ?? runCommand)('ip', ['netns', 'del', name], { timeoutMs: options.timeoutMs });
  return true;
}

/**
 * PIDs of the processes in a named namespace (`ip netns pids NAME`): what must stop before the
 * namespace can really go. None when there is no such namespace.
 */
export async function netnsPids(name: string, options: HostOptions = {}): Promise<number[]> {
  checkName(name);
  if (!(await fileExists(namedNetnsPath(name)))) return [];
  const { stdout } = await (options.run ?? runCommand)('ip', ['netns', 'pids', name], {
    timeoutMs: options.timeoutMs,
  }).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((line) => /^\d+$/.test(line.trim()))
    .map(Number);
}

/** Names of the named namespaces (`ip netns list`). */
export async function listNetns(options: HostOptions = {}): Promise<string[]> {
  const entries = await iproute2Json('ip', ['netns', 'list'], options);
  return entries.map((entry) => str(entry, 'name')).filter((name) => name !== undefined);
}

function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new TypeError(`invalid network namespace name: ${JSON.stringify(name)}`);
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
