import {
  deleteLink,
  type Link,
  listFilters,
  listLinks,
  NetopsCommandError,
  type NetopsOptions,
  tcBatch,
} from '@peerpods/netops';
import { step } from './errors';

/** Upstream's ceiling for the tunnel MTU (1500 minus VXLAN's 50 bytes). */
export const MAX_TUNNEL_MTU = 1450;
/** The tunnel's name inside the pod netns. */
export const WORKER_TUNNEL_NAME = 'vxlan1';
/** The temporary name earlier versions gave the link before it was renamed vxlan1 (ppvxlanN). */
const TEMP_PREFIX = 'ppvxlan';

/** One worker tunnel, as far as finding and removing its kernel objects needs. */
export interface WorkerTunnel {
  /** `worker setup|teardown of vni … for sandbox …`, for errors. */
  readonly what: string;
  readonly vni: number;
  /** The pod's interface (eth0), whose ingress redirect points at vxlan1. */
  readonly iface: string;
  readonly pod: NetopsOptions;
}

/** A vxlan of ours: vxlan1 or a temporary ppvxlanN with the tunnel's VNI. */
function ours(link: Link, vni: number): boolean {
  return (
    link.kind === 'vxlan' &&
    link.vxlan?.id === vni &&
    (link.name === WORKER_TUNNEL_NAME || link.name.startsWith(TEMP_PREFIX))
  );
}

/**
 * Removes what of the tunnel is in the pod netns. vxlan1 is created in the link group numbered by its
 * VNI, so the kernel deletes it only if it is ours (`ip link del group <vni>`), without a read first;
 * when no link is in that group, the links are read, and a vxlan1 (or a ppvxlanN) made without the
 * group by an earlier version goes if it is a vxlan with the VNI. At the same time the pod interface's
 * ingress filters are read, and its ingress qdisc deleted if the filter redirects to vxlan1, or to a
 * device that is gone when vxlan1 was just deleted (the read may come after the delete). Both
 * run to their end; the first failure is thrown. The pod netns must exist.
 */
export async function removePodSide(t: WorkerTunnel): Promise<void> {
  const link = step(t.what, 'delete vxlan1', () => removeLink(t));
  const redirects = step(t.what, 'delete tc redirects', async () => {
    const targets = (await listFilters(t.iface, t.pod).catch(() => [])).flatMap((f) =>
      f.actions.map((a) => a.toDev ?? ''),
    );
    const redirected =
      targets.includes(WORKER_TUNNEL_NAME) || (targets.some(gone) && (await link.catch(() => false)));
    if (redirected) await tcBatch([`qdisc del dev ${t.iface} ingress`], t.pod);
  });
  const results = await Promise.allSettled([redirects, link]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * How tc names a redirect target that no longer exists: `*` once the kernel has cleared it, `ifN`
 * when tc could not resolve the index it read (the device went in between).
 */
function gone(toDev: string): boolean {
  return toDev === '*' || /^if\d+$/.test(toDev);
}

/** The group vxlan1 is created in: its VNI (24 bits, so a valid group number). */
export function linkGroup(vni: number): number {
  return vni;
}

/** Deletes vxlan1 if it is ours; resolves whether a link was deleted. */
async function removeLink(t: WorkerTunnel): Promise<boolean> {
  try {
    // deleteLink returns once the link is gone, without the kernel's RCU wait after it.
    await deleteLink(WORKER_TUNNEL_NAME, { ...t.pod, group: linkGroup(t.vni) });
    return true;
  } catch (error) {
    if (!(error instanceof NetopsCommandError && /No such device/.test(error.stderr))) throw error;
  }
  const leftovers = (await listLinks(t.pod)).filter((l) => ours(l, t.vni));
  await Promise.all(leftovers.map((l) => deleteLink(l.name, t.pod)));
  return leftovers.length > 0;
}
