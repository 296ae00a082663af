import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a pod VM consists of, written before any of it is made so a crashed daemon's successor can find it. */
export interface InstanceRecord {
  /** The instance name; also the pod VM's network namespace and the id the daemon deletes by. */
  readonly name: string;
  /** The pod namespace inside the "VM" (agent-protocol-forwarder's -pod-namespace), `/run/netns/<podNetns>`. */
  readonly podNetns: string;
  /** Host number in the subnet (the address is `hostAddress(subnet, hostIndex)`). */
  readonly hostIndex: number;
  readonly ip: string;
  /** The host end of the VM's veth, on the bridge. */
  readonly veth: string;
  /** The pod VM's `/`. */
  readonly root: string;
  /** The sandbox it was made for, when the caller said (a restarted daemon matches it to its records). */
  readonly sandboxId?: string;
  /** ISO time of the launch (an orphan sweep's age). */
  readonly createdAt?: string;
}

export const RECORD_FILE = 'instance.json';

export async function writeInstanceRecord(record: InstanceRecord): Promise<void> {
  await mkdir(record.root, { recursive: true, mode: 0o700 });
  const file = join(record.root, RECORD_FILE);
  // Atomic, so a crash never leaves a half record the sweep cannot read.
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** Every record under the state directory; directories without a readable record are reported as such. */
export async function readInstanceRecords(
  stateDir: string,
): Promise<{ records: InstanceRecord[]; strays: string[] }> {
  let entries: string[];
  try {
    entries = await readdir(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], strays: [] };
    throw error;
  }
  const records: InstanceRecord[] = [];
  const strays: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    const dir = join(stateDir, entry);
    try {
      const record = JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')) as InstanceRecord;
      if (typeof record.name !== 'string' || record.name !== entry) throw new Error('name mismatch');
      records.push({ ...record, root: dir });
    } catch {
      strays.push(dir);
    }
  }
  return { records, strays };
}
