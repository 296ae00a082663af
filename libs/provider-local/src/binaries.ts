import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { PodVmBinaries } from './pod-vm-boot';

/** Fails naming the first program that is missing or not executable, and the option that sets it. */
export async function checkBinaries(binaries: PodVmBinaries): Promise<void> {
  const checks: [string, string, string][] = [
    ['process-user-data', binaries.processUserData, '-local-bin-dir'],
    ['agent-protocol-forwarder', binaries.forwarder, '-local-bin-dir'],
    ['kata agent', binaries.agent, '-agent-binary'],
  ];
  for (const [what, path, option] of checks) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new Error(`${what} not found or not executable at ${path} (set ${option})`);
    }
  }
}
