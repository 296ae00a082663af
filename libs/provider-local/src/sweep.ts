import { rm } from 'node:fs/promises';
import { readInstanceRecords } from './instance-record';
import { removePodVmNetns } from './pod-vm-netns';
import { netnsPids, stopProcesses } from './processes';

export interface SweptInstance {
  name: string;
  processes: number;
}

/**
 * Removes every pod VM a previous run of the provider left behind (it crashed, or was killed): the
 * processes in its namespaces, the namespaces (and with them the veth), and its directory. Only what
 * the state directory records is touched.
 */
export async function sweepLeftovers(stateDir: string, netns?: string): Promise<SweptInstance[]> {
  const { records, strays } = await readInstanceRecords(stateDir);
  const swept = await Promise.all(
    records.map(async (record) => {
      const pids = [...(await netnsPids(record.name)), ...(await netnsPids(record.podNetns))];
      // Nothing to shut down gracefully: the pod these belonged to is gone with the old daemon.
      await stopProcesses(pids, 'SIGKILL', 0);
      await removePodVmNetns(record, netns);
      await rm(record.root, { recursive: true, force: true });
      return { name: record.name, processes: pids.length };
    }),
  );
  await Promise.all(strays.map((dir) => rm(dir, { recursive: true, force: true })));
  return swept;
}
