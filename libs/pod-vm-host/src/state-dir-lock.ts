import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostLabels } from './labels';
import { isAlive } from './processes';

const OWNER_FILE = '.owner';
/** Marks a directory as a pod VM host's, so it never sweeps a directory it did not make. */
const MARKER_FILE = '.peerpods-local-state';

/**
 * Claims the state directory for this process. Two daemons sharing one would sweep each other's pod
 * VMs at start, so a second one is refused while the first is alive. A directory that holds other
 * things and was not made by this provider is refused too, as the sweep would delete them.
 */
export async function claimStateDir(stateDir: string, labels: HostLabels): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const entries = await readdir(stateDir);
  if (entries.length > 0 && !entries.includes(MARKER_FILE)) {
    throw new Error(
      `${labels.owner} state directory ${stateDir} is not empty and was not made by peer pods; give it an empty or new one with ${labels.options.stateDir}`,
    );
  }
  await writeFile(join(stateDir, MARKER_FILE), 'peer pods pod VM state: one directory per pod VM\n');
  const file = join(stateDir, OWNER_FILE);
  const refuse = (owner: number) =>
    new Error(
      `${labels.owner} state directory ${stateDir} is in use by process ${owner}; stop it, or give this one its own with ${labels.options.stateDir} (if that process is not a peer pods program, remove ${file})`,
    );
  // Created exclusively, so of two daemons starting at once exactly one gets it. A file whose
  // process is gone (a crash) is moved aside atomically, so only one contender removes it.
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const owner = await readOwner(file);
    if (owner === process.pid) return;
    if (owner !== undefined && isAlive(owner)) throw refuse(owner);
    const aside = `${file}.stale-${process.pid}`;
    await rename(file, aside).then(
      () => rm(aside, { force: true }),
      () => {},
    );
  }
}

export async function releaseStateDir(stateDir: string): Promise<void> {
  const file = join(stateDir, OWNER_FILE);
  if ((await readOwner(file)) === process.pid) await rm(file, { force: true });
}

async function readOwner(file: string): Promise<number | undefined> {
  const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(owner) && owner > 0 ? owner : undefined;
}
