/**
 * Which pod VMs are whose. Every instance a provider creates carries these tags, so that a node can
 * find the VMs it owns after a crash (`listInstances`) without a database, and never touches another
 * node's or cluster's. The keys avoid `/` and `:`, which Azure refuses in tag names.
 */
import { hostname } from 'node:os';

export const OWNER_TAG_SANDBOX = 'peerpods-sandbox-id';
export const OWNER_TAG_NODE = 'peerpods-node';
export const OWNER_TAG_CLUSTER = 'peerpods-cluster-id';
const RESERVED = new Set([OWNER_TAG_SANDBOX, OWNER_TAG_NODE, OWNER_TAG_CLUSTER]);

/** The worker node this daemon runs for, and the cluster it belongs to (`''`: not set). */
export interface Owner {
  nodeName: string;
  clusterId: string;
}

/** An instance this node owns, as a provider lists it. */
export interface OwnedInstance {
  id: string;
  name: string;
  /** From the instance's sandbox tag; `''` when it has none. */
  sandboxId: string;
  createdAt: Date;
  tags: Readonly<Record<string, string>>;
}

/** `NODE_NAME` (the DaemonSet's downward API value), else the host name. */
export function nodeNameFrom(env: NodeJS.ProcessEnv): string {
  return env.NODE_NAME?.trim() || hostname();
}

/** The tags that mark an instance as this node's and this sandbox's. */
export function ownershipTags(owner: Owner, sandboxId: string): Record<string, string> {
  return {
    [OWNER_TAG_SANDBOX]: sandboxId,
    [OWNER_TAG_NODE]: owner.nodeName,
    ...(owner.clusterId === '' ? {} : { [OWNER_TAG_CLUSTER]: owner.clusterId }),
  };
}

/** Whether tags say the instance belongs to this owner (node, and cluster when one is set). */
export function isOwnedBy(tags: Readonly<Record<string, string>>, owner: Owner): boolean {
  return (
    tags[OWNER_TAG_NODE] === owner.nodeName &&
    (owner.clusterId === '' || tags[OWNER_TAG_CLUSTER] === owner.clusterId)
  );
}

/**
 * Upstream's `-tags` / `TAGS` value, `key=value,key2=value2`. Empty entries are skipped; an entry
 * without `=` or with an empty key, a repeated key, or one of the ownership keys is an error naming it.
 */
export function parseTags(text: string, flag = '-tags'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    const key = equals < 0 ? '' : entry.slice(0, equals).trim();
    if (key === '') {
      throw new Error(`invalid ${flag} entry ${JSON.stringify(entry)}: expected key=value`);
    }
    if (RESERVED.has(key)) {
      throw new Error(
        `invalid ${flag} entry ${JSON.stringify(entry)}: the key ${key} is set by peer pods itself`,
      );
    }
    if (key in tags) throw new Error(`invalid ${flag}: the key ${key} is given twice`);
    tags[key] = entry.slice(equals + 1).trim();
  }
  return tags;
}
