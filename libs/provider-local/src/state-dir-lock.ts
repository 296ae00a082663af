import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './processes';

const OWNER_FILE = '.owner';

/**
 * Claims the state directory for this process. Two daemons sharing one would sweep each other's pod
 * VMs at start, so a second one is refused while the first is alive.
 */
export async function claimStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, OWNER_FILE);
  const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `local state directory ${stateDir} is in use by process ${owner}; stop it, or give this daemon its own with -local-state-dir (if that process is not a cloud-api-adaptor, remove ${file})`,
    );
  }
  await writeFile(file, `${process.pid}\n`, { mode: 0o600 });
}

export async function releaseStateDir(stateDir: string): Promise<void> {
  await rm(join(stateDir, OWNER_FILE), { force: true });
}
