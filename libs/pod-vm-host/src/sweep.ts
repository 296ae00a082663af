import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { namedNetnsPath, netnsExists, netnsPids } from '@peerpods/netops';
import { type InstanceRecord, RECORD_FILE, readInstanceRecords } from './instance-record';
import { ALL_MADE, removePodVmNetns } from './pod-vm-netns';
import { stopProcesses } from './processes';

export interface SweptInstance {
  name: string;
  processes: number;
}

// What this provider writes; a record that says otherwise was not written by it and is left alone.
const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;
const VETH = /^ppvm\d{1,11}$/;

function isOurs(record: InstanceRecord): boolean {
  return (
    INSTANCE_NAME.test(record.name) && record.podNetns === `${record.name}-podns` && VETH.test(record.veth)
  );
}

/**
 * The pod VMs a previous run left whose programs still run in both of their namespaces (the
 * forwarder in the VM, whatever the agent started): a restarted daemon can take those over.
 */
export async function runningLeftovers(stateDir: string): Promise<InstanceRecord[]> {
  const { records } = await readInstanceRecords(stateDir);
  const running = await Promise.all(
    records.filter(isOurs).map(async (record) => {
      const pids = await netnsPids(record.name).catch(() => []);
      const alive =
        (await netnsExists(namedNetnsPath(record.name))) &&
        (await netnsExists(namedNetnsPath(record.podNetns))) &&
        pids.some((pid) => commandLine(pid).includes('agent-protocol-forwarder'));
      return alive ? record : undefined;
    }),
  );
  return running.filter((record): record is InstanceRecord => record !== undefined);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Removes every pod VM a previous run of the provider left behind (it crashed, or was killed): the
 * processes in its namespaces, the namespaces, the veth, and its directory. Only what the state
 * directory records in the provider's own shapes is touched (and nothing named in `keep`); a directory that never got its record
 * (a crash in the instant before) is removed only when it holds nothing but the record's temp file.
 */
export async function sweepLeftovers(
  stateDir: string,
  netns?: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<SweptInstance[]> {
  const { records, strays } = await readInstanceRecords(stateDir);
  const swept = await Promise.all(
    records
      .filter((record) => isOurs(record) && !keep.has(record.name))
      .map(async (record) => {
        const pids = [...(await netnsPids(record.name)), ...(await netnsPids(record.podNetns))];
        // Nothing to shut down gracefully: the pod these belonged to is gone with the old daemon.
        await stopProcesses(pids, 'SIGKILL', 0);
        await removePodVmNetns(record, ALL_MADE, netns);
        await rm(record.root, { recursive: true, force: true });
        return { name: record.name, processes: pids.length };
      }),
  );
  for (const dir of strays) {
    const name = dir.slice(dir.lastIndexOf('/') + 1);
    const entries = await readdir(dir).catch(() => undefined);
    if (!INSTANCE_NAME.test(name) || entries === undefined) continue;
    if (entries.every((entry) => entry === `${RECORD_FILE}.tmp`)) {
      await rm(join(dir), { recursive: true, force: true });
    }
  }
  return swept;
}
