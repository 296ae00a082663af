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
 * Removes what of the tunnel is in the pod netns. vxlan1 is created in its marker link group
 * ({@link linkGroup}), and `ip link del group <group>` deletes it without a read first. The kernel
 * deletes every link in that group, not only ours: the group is ours because nothing else sets it.
 * When that delete fails (`No such device`: no link in the group, e.g. one made by an earlier
 * version; `Operation not supported`: something that cannot be deleted, like lo, was put in the
 * group, and then nothing is deleted), the links are read, and a vxlan1 (or a ppvxlanN) with the VNI
 * goes, whatever its group (59aec22 used the bare VNI as group, earlier versions none). At the same
 * time the pod interface's ingress filters are read, and its ingress qdisc deleted if the filter
 * redirects to vxlan1, or to a device that is gone once no vxlan1 of ours remains (the read may come
 * after the delete, or a failed setup may have left the qdisc after vxlan1 went). Both run to their
 * end; the first failure is thrown. The pod netns must exist.
 */
export async function removePodSide(t: WorkerTunnel): Promise<void> {
  const link = step(t.what, 'delete vxlan1', () => removeLink(t));
  const redirects = step(t.what, 'delete tc redirects', async () => {
    const targets = (await listFilters(t.iface, t.pod).catch(() => [])).flatMap((f) =>
      f.actions.map((a) => a.toDev ?? ''),
    );
    // A target that is gone counts as ours once no vxlan1 of ours remains (the link step succeeded):
    // our redirect to vxlan1 outlives vxlan1 as `*` (a failed setup, or vxlan1 deleted by someone
    // else), and left there it would send the pod's traffic nowhere and block the next setup.
    const redirected =
      targets.includes(WORKER_TUNNEL_NAME) ||
      (targets.some(gone) &&
        (await link.then(
          () => true,
          () => false,
        )));
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

/**
 * The bits that mark a link group as this code's. `ip link del group G` deletes every link in group G,
 * whoever put it there, so G must be a group nothing else uses: groups are free-form numbers (0 is
 * the default, small numbers are what people and tools pick, and 59aec22 used the bare VNI), and this
 * one, with bits 28–30 set above the 24-bit VNI, is set only by {@link linkGroup}. ip accepts groups
 * up to INT_MAX (0x7fffffff), which `0x70000000 | vni` stays below for any VNI < 2^24.
 */
export const LINK_GROUP_MARKER = 0x70000000;

/** The link group vxlan1 is created in (and deleted by): {@link LINK_GROUP_MARKER} | its VNI. */
export function linkGroup(vni: number): number {
  return LINK_GROUP_MARKER | vni;
}

/** Deletes vxlan1 if it is ours; resolves whether a link was deleted (rejects if one may remain). */
async function removeLink(t: WorkerTunnel): Promise<boolean> {
  try {
    // deleteLink returns once the link is gone, without the kernel's RCU wait after it.
    await deleteLink(WORKER_TUNNEL_NAME, { ...t.pod, group: linkGroup(t.vni) });
    return true;
  } catch (error) {
    // No such device (nothing in the group), or anything else the kernel refused (EOPNOTSUPP when a
    // link that cannot be deleted is in the group; then it deleted nothing): read and check instead.
    if (!(error instanceof NetopsCommandError)) throw error;
  }
  const leftovers = (await listLinks(t.pod)).filter((l) => ours(l, t.vni));
  await Promise.all(leftovers.map((l) => deleteLink(l.name, t.pod)));
  return leftovers.length > 0;
}
