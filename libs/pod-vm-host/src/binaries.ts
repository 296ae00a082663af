import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { HostLabels } from './labels';
import type { PodVmBinaries } from './pod-vm-boot';

/** Fails naming the first program that is missing or not executable, and the option that sets it. */
export async function checkBinaries(binaries: PodVmBinaries, labels: HostLabels): Promise<void> {
  const checks: [string, string, string][] = [
    ['process-user-data', binaries.processUserData, labels.options.binDir],
    ['agent-protocol-forwarder', binaries.forwarder, labels.options.binDir],
    ['kata agent', binaries.agent, labels.options.agent],
  ];
  for (const [what, path, option] of checks) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new Error(`${what} not found or not executable at ${path} (set ${option})`);
    }
  }
}
