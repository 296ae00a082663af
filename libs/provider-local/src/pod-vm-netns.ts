import { deleteNetns, ipBatch, namedNetnsPath, runIp } from '@peerpods/netops';
import type { InstanceRecord } from './instance-record';

/**
 * The pod VM's "hardware": its network namespace, with eth0 on the provider's bridge, the VM's address
 * and a default route through the bridge, plus the empty pod namespace inside the VM. One ip process
 * in the daemon's namespace (both namespaces, the veth, attach it), then one in each new namespace.
 */
export async function createPodVmNetns(
  record: InstanceRecord,
  bridge: string,
  gateway: string,
  prefixLength: number,
  /** Where the bridge is; default this process's own namespace. */
  hostNetns?: string,
): Promise<void> {
  const namespaces = [`netns add ${record.name}`, `netns add ${record.podNetns}`];
  const veth = [
    `link add ${record.veth} type veth peer name eth0 netns ${record.name}`,
    `link set ${record.veth} master ${bridge} up`,
  ];
  // The forwarder would create its pod namespace itself, but under `ip netns exec` it has a private
  // mount namespace, so nothing outside (the agent, clean-up) would see it. `ip -n` has one too, so
  // with the bridge in another namespace, the namespaces are made first, from here.
  if (hostNetns === undefined) {
    await ipBatch([...namespaces, ...veth]);
  } else {
    await ipBatch(namespaces);
    await ipBatch(veth, { netns: hostNetns });
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
 * Deletes the veth and both namespaces of a pod VM. The veth is deleted by name because a deleted
 * namespace's devices go away later, in the kernel's own time, and the name must be free for the next
 * VM. Processes must be gone first, or the namespaces live on unnamed. Fine when all is gone already.
 */
export async function removePodVmNetns(record: InstanceRecord, hostNetns?: string): Promise<void> {
  await Promise.all([
    runIp(['link', 'del', record.veth], { netns: hostNetns }).catch((error: unknown) => {
      if (!/Cannot find device/.test(String(error))) throw error;
    }),
    deleteNetns(record.podNetns, { ifExists: true }),
    deleteNetns(record.name, { ifExists: true }),
  ]);
}
