// Throwaway network namespaces for the tests: unique names per run, removed after each test even when
// it fails, together with the processes and bind mounts that point into them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readlink, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '@peerpods/test-support';
import { createNetns, deleteNetns, listNetns, namedNetnsPath } from '../../src/index';

const exec = promisify(execFile);

/** Every test that builds namespaces, links or rules calls this first: it fails, it does not skip. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'this test needs root (it creates network namespaces, links and iptables rules): run it as root, as CI does',
    );
  }
}

export const RUN_PREFIX = `pp-test-${process.pid}-`;
let counter = 0;

export interface ScratchNetns {
  readonly name: string;
  /** `/run/netns/NAME`. */
  readonly path: string;
}

export class Scratch {
  private readonly namespaces = new Set<string>();
  private readonly children = new Set<ChildProcess>();
  private readonly mounts = new Set<string>();

  /** A name no other run or test uses; nothing is created. */
  uniqueName(): string {
    counter++;
    return `${RUN_PREFIX}${counter}`;
  }

  async netns(): Promise<ScratchNetns> {
    requireRoot();
    const name = this.uniqueName();
    this.namespaces.add(name);
    const path = await createNetns(name);
    // Loopback up, as in any real pod namespace.
    await exec('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return { name, path };
  }

  /** A process sleeping inside the namespace; resolves with its `/proc/PID/ns/net`. */
  async sleeperPath(ns: ScratchNetns): Promise<string> {
    // ip execs sleep after entering the namespace, so the PID is that of sleep.
    const child = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '30'], { stdio: 'ignore' });
    this.children.add(child);
    const path = `/proc/${child.pid}/ns/net`;
    const own = await readlink('/proc/self/ns/net');
    const until = Date.now() + 10_000;
    while ((await readlink(path).catch(() => own)) === own) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`${path} never entered ${ns.name}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return path;
  }

  /** The namespace bind-mounted on a file outside /run/netns (so it is reached through nsenter). */
  async bindMountPath(ns: ScratchNetns): Promise<string> {
    const file = join(tempDir('peerpods-netops-'), 'netns');
    await writeFile(file, '');
    await exec('mount', ['--bind', ns.path, file]);
    this.mounts.add(file);
    return file;
  }

  /** Removes everything this object made; keeps going past errors and reports them at the end. */
  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    this.children.clear();
    for (const file of this.mounts) {
      await exec('umount', [file]).catch((error: unknown) => errors.push(error));
      await rm(file, { force: true });
    }
    this.mounts.clear();
    for (const name of this.namespaces) {
      await deleteNetns(name, { ifExists: true }).catch((error: unknown) => errors.push(error));
    }
    this.namespaces.clear();
    if (errors.length > 0) throw new AggregateError(errors, 'test clean-up failed');
  }
}

/** Namespaces of this run still present (should be none after clean-up). */
export async function leftoverNamespaces(): Promise<string[]> {
  return (await listNetns()).filter((name) => name.startsWith(RUN_PREFIX));
}

export { namedNetnsPath };
