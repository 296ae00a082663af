import { existsSync } from 'node:fs';
import { deleteNetns, getLink, ipBatch, NetopsCommandError, namedNetnsPath, runIp } from '@peerpods/netops';
import type { InstanceRecord } from './instance-record';

/** What of a pod VM's network exists, so clean-up removes only what this provider made. */
export interface PodVmNetworkParts {
  vmNetns: boolean;
  podNetns: boolean;
  veth: boolean;
}

export const NOTHING_MADE: Readonly<PodVmNetworkParts> = { vmNetns: false, podNetns: false, veth: false };
export const ALL_MADE: Readonly<PodVmNetworkParts> = { vmNetns: true, podNetns: true, veth: true };

/**
 * The pod VM's "hardware": its network namespace, with eth0 on the provider's bridge, the VM's address
 * and a default route through the bridge, plus the empty pod namespace inside the VM. One ip process
 * in the daemon's namespace (both namespaces, the veth, attach it), then one in each new namespace.
 * `made` is updated as parts come into existence, also when this fails half-way.
 */
export async function createPodVmNetns(
  record: InstanceRecord,
  bridge: string,
  gateway: string,
  prefixLength: number,
  made: PodVmNetworkParts,
  /** Where the bridge is; default this process's own namespace. */
  hostNetns?: string,
): Promise<void> {
  for (const name of [record.name, record.podNetns]) {
    // Namespace names are global: never adopt (and later delete) one that someone else made.
    if (existsSync(namedNetnsPath(name))) throw new Error(`network namespace ${name} already exists`);
  }
  const lines: [string, keyof PodVmNetworkParts | undefined][] = [
    [`netns add ${record.name}`, 'vmNetns'],
    // The forwarder would create its pod namespace itself, but under `ip netns exec` it has a private
    // mount namespace, so nothing outside (the agent, clean-up) would see it.
    [`netns add ${record.podNetns}`, 'podNetns'],
    [`link add ${record.veth} type veth peer name eth0 netns ${record.name}`, 'veth'],
    [`link set ${record.veth} master ${bridge} up`, undefined],
  ];
  // `ip -n` has a private mount namespace too, so with the bridge in another namespace the
  // namespaces are made first, from here.
  const batches =
    hostNetns === undefined
      ? [{ lines, netns: undefined }]
      : [
          { lines: lines.slice(0, 2), netns: undefined },
          { lines: lines.slice(2), netns: hostNetns },
        ];
  for (const batch of batches) {
    try {
      await ipBatch(
        batch.lines.map(([line]) => line),
        { netns: batch.netns },
      );
    } catch (error) {
      if (error instanceof NetopsCommandError && error.failedLine) {
        // ip applied every line before the failing one.
        for (const [, part] of batch.lines.slice(0, error.failedLine.number - 1)) if (part) made[part] = true;
      } else {
        // No line named (ip killed by its time-out, say): look. The names were free before, so what
        // exists now is ours.
        made.vmNetns ||= existsSync(namedNetnsPath(record.name));
        made.podNetns ||= existsSync(namedNetnsPath(record.podNetns));
        made.veth ||= (await getLink(record.veth, { netns: hostNetns }).catch(() => undefined)) !== undefined;
      }
      throw error;
    }
    for (const [, part] of batch.lines) if (part) made[part] = true;
  }
  await Promise.all([
    ipBatch(
      [
        'link set lo up',
        `addr add ${record.ip}/${prefixLength} dev eth0`,
        'link set eth0 up',
        `route add default via ${gateway}`,
      ],
      { netns: namedNetnsPath(record.name) },
    ),
    ipBatch(['link set lo up'], { netns: namedNetnsPath(record.podNetns) }),
  ]);
}

/**
 * Deletes what `made` says exists: the veth and both namespaces. The veth is deleted by name because
 * a deleted namespace's devices go away later, in the kernel's own time, and the name must be free
 * for the next VM. Processes must be gone first, or the namespaces live on unnamed.
 */
export async function removePodVmNetns(
  record: InstanceRecord,
  made: Readonly<PodVmNetworkParts>,
  hostNetns?: string,
): Promise<void> {
  await Promise.all([
    made.veth
      ? runIp(['link', 'del', record.veth], { netns: hostNetns }).catch((error: unknown) => {
          if (!/Cannot find device/.test(String(error))) throw error;
        })
      : undefined,
    made.podNetns ? deleteNetns(record.podNetns, { ifExists: true }) : undefined,
    made.vmNetns ? deleteNetns(record.name, { ifExists: true }) : undefined,
  ]);
}
