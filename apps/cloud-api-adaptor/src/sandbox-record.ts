import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodNetwork } from '@peerpods/apf-config';
import type { Instance } from '@peerpods/providers';
import { writeFileAtomically } from './atomic-file';
import { SANDBOX_ID } from './sandbox-id';

/** The file in `<pods-dir>/<id>/` that lets a restarted daemon take the sandbox over. */
export const RECORD_FILE = 'sandbox.json';
const VERSION = 1;

/**
 * What a restart needs to know of one sandbox. `created`: CreateVM done; `starting`: StartVM under
 * way (the instance, once known, is in it); `running`: StartVM succeeded, the one state a restart
 * adopts. The others say what to clean up.
 */
export interface SandboxRecord {
  readonly id: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly netnsPath: string;
  readonly instanceName: string;
  readonly state: 'created' | 'starting' | 'running';
  readonly podNetwork: PodNetwork;
  readonly instance?: Instance;
  /** Whether the worker side of the tunnel was built. */
  readonly tunnelUp: boolean;
  /** Kubernetes mode: the PeerPod object of the instance, released once the instance is deleted. */
  readonly peerPod?: string;
}

/** Replaces the record atomically (see writeFileAtomically; the pods dir is tmpfs by default). */
export function writeSandboxRecord(dir: string, record: SandboxRecord): void {
  writeFileAtomically(join(dir, RECORD_FILE), `${JSON.stringify({ version: VERSION, ...record })}\n`);
}

export interface RecordListing {
  records: SandboxRecord[];
  /** Sandbox directories whose record cannot be used, and why. */
  unreadable: { id: string; dir: string; reason: string }[];
}

/** Every sandbox directory under the pods dir that has a record file, read and checked. */
export function readSandboxRecords(podsDir: string): RecordListing {
  const listing: RecordListing = { records: [], unreadable: [] };
  for (const id of readdirSync(podsDir)) {
    const dir = join(podsDir, id);
    if (!SANDBOX_ID.test(id) || !lstatSync(dir).isDirectory()) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, RECORD_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      listing.unreadable.push({ id, dir, reason: (error as Error).message });
      continue;
    }
    try {
      listing.records.push(parseSandboxRecord(text, id));
    } catch (error) {
      listing.unreadable.push({ id, dir, reason: (error as Error).message });
    }
  }
  return listing;
}

/** Checks a record's shape field by field; the error names the first field that is wrong. */
export function parseSandboxRecord(text: string, id: string): SandboxRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${RECORD_FILE} is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) throw new Error(`${RECORD_FILE} is not an object`);
  const r = value as Record<string, unknown>;
  if (r.version !== VERSION)
    throw new Error(`${RECORD_FILE} has version ${JSON.stringify(r.version)}, expected ${VERSION}`);
  const requiredText = (field: string) => {
    if (typeof r[field] !== 'string' || r[field] === '')
      throw new Error(`${RECORD_FILE}: ${field} must be a non-empty string`);
    return r[field] as string;
  };
  if (requiredText('id') !== id)
    throw new Error(`${RECORD_FILE}: id ${JSON.stringify(r.id)} is not its directory's`);
  const state = requiredText('state');
  if (state !== 'created' && state !== 'starting' && state !== 'running')
    throw new Error(`${RECORD_FILE}: unknown state ${JSON.stringify(state)}`);
  const network = r.podNetwork as Record<string, unknown> | undefined;
  if (
    typeof network !== 'object' ||
    network === null ||
    !Number.isInteger(network.index) ||
    typeof network.interface !== 'string'
  )
    throw new Error(`${RECORD_FILE}: podNetwork is missing or has no index and interface`);
  let instance: Instance | undefined;
  if (r.instance !== undefined) {
    const i = r.instance as Record<string, unknown>;
    if (
      typeof i.id !== 'string' ||
      i.id === '' ||
      !Array.isArray(i.ips) ||
      !i.ips.every((ip) => typeof ip === 'string')
    )
      throw new Error(`${RECORD_FILE}: instance must have an id and a list of IPs`);
    instance = { id: i.id, name: typeof i.name === 'string' ? i.name : '', ips: i.ips as string[] };
  }
  if (r.peerPod !== undefined && (typeof r.peerPod !== 'string' || r.peerPod === ''))
    throw new Error(`${RECORD_FILE}: peerPod must be a non-empty string`);
  if (state === 'running' && instance === undefined)
    throw new Error(`${RECORD_FILE}: a running sandbox must have its instance`);
  return {
    id,
    podName: requiredText('podName'),
    podNamespace: requiredText('podNamespace'),
    netnsPath: requiredText('netnsPath'),
    instanceName: requiredText('instanceName'),
    state,
    podNetwork: network as unknown as PodNetwork,
    ...(instance ? { instance } : {}),
    tunnelUp: r.tunnelUp === true,
    ...(typeof r.peerPod === 'string' ? { peerPod: r.peerPod } : {}),
  };
}
