import { isIPv4 } from 'node:net';
import type { PodNeighbor, PodNetwork, PodRoute, RouteProtocol, RouteScope } from '@peerpods/apf-config';
import {
  type Address,
  assertNetnsExists,
  detectIptables,
  getLink,
  type Iptables,
  ipBatch,
  type Link,
  listFilters,
  listLinks,
  listLinksAndAddresses,
  listNeighbours,
  listQdiscs,
  listRoutes,
  type NetopsOptions,
  netnsExists,
  netnsMoveRef,
  tcBatch,
} from '@peerpods/netops';
import { PodNetworkError, step } from './errors';
import { addNotrackRules, removeNotrackRules } from './notrack';
import { primaryInterfaceOf } from './primary-interface';
import { VniAllocator } from './vni-allocator';
import type { TunnelSettings, WorkerNetwork } from './worker-network';

/** Upstream's ceiling for the tunnel MTU (1500 minus VXLAN's 50 bytes). */
export const MAX_TUNNEL_MTU = 1450;
/** The tunnel's name inside the pod netns. */
export const WORKER_TUNNEL_NAME = 'vxlan1';
const TEMP_PREFIX = 'ppvxlan';
const COPIED_PROTOCOLS = new Set(['static', 'boot', 'dhcp', 'kernel']);

export interface VxlanWorkerNetworkOptions {
  /** The worker's (host) netns path; default: this process's own. */
  hostNetns?: string;
  /** How to find iptables; default netops's detectIptables(). */
  iptables?: () => Promise<Iptables>;
  /** Per-command timeout for netops. */
  timeoutMs?: number;
}

/**
 * The worker side of the VXLAN tunnel (upstream-caa.md §5.1, §5.2): inspect a pod netns, then build
 * `vxlan1` in it (created as ppvxlanN in the host netns so its UDP socket stays there), redirect the
 * pod interface to it with tc, and exempt the UDP flow from conntrack in the host's raw table.
 */
export class VxlanWorkerNetwork implements WorkerNetwork {
  private readonly allocator: VniAllocator;
  private readonly host: NetopsOptions;
  private readonly reservedNames = new Set<string>();
  private iptablesPromise: Promise<Iptables> | undefined;

  constructor(
    private readonly settings: TunnelSettings,
    private readonly options: VxlanWorkerNetworkOptions = {},
  ) {
    this.allocator = new VniAllocator(settings.vxlanMinId);
    this.host = { netns: options.hostNetns, timeoutMs: options.timeoutMs };
  }

  /** Indexes this process holds (inspected and not torn down). */
  get allocatedCount(): number {
    return this.allocator.size;
  }

  async inspect(netnsPath: string): Promise<PodNetwork> {
    await assertNetnsExists(netnsPath);
    const pod: NetopsOptions = { netns: netnsPath, timeoutMs: this.options.timeoutMs };

    // Each namespace is read once (links, IPv4 routes, addresses, neighbours), all reads at once.
    const [hostRoutes, host, podRoutes, podLinksAndAddresses, podNeighbours] = await Promise.all([
      listRoutes(this.host),
      listLinksAndAddresses({ ...this.host, family: 'inet' }),
      listRoutes(pod),
      listLinksAndAddresses({ ...pod, family: 'inet' }),
      listNeighbours({ ...pod, family: 'inet' }),
    ]);
    const { links: hostLinks, addresses: hostAddresses } = host;
    const { links: podLinks, addresses: podAddresses } = podLinksAndAddresses;

    const primary = primaryInterfaceOf(hostRoutes);
    const wanted = this.settings.hostInterface || primary;
    if (wanted === undefined) throw new Error('the host network namespace has no IPv4 default route');
    if (!hostLinks.some((l) => l.name === wanted)) throw new Error(`host interface ${wanted} does not exist`);
    const [workerNodeIp] = cidrsOf(hostAddresses, wanted);
    if (workerNodeIp === undefined) throw new Error(`host interface ${wanted} has no IPv4 address`);

    const iface = primaryInterfaceOf(podRoutes);
    if (iface === undefined) throw new Error(`pod network namespace ${netnsPath} has no IPv4 default route`);
    const addresses = cidrsOf(podAddresses, iface);
    if (addresses.length !== 1) {
      const found =
        addresses.length === 0
          ? 'no IPv4 address'
          : `${addresses.length} IPv4 addresses (${addresses.join(', ')})`;
      throw new Error(`pod interface ${iface} in ${netnsPath} has ${found}; expected exactly one`);
    }
    const link = podLinks.find((l) => l.name === iface);
    if (link === undefined) throw new Error(`pod interface ${iface} in ${netnsPath} disappeared`);

    const routes: PodRoute[] = podRoutes
      .filter((route) => route.type === 'unicast' && COPIED_PROTOCOLS.has(route.protocol))
      .map((route) => ({
        dst: route.dst,
        gw: route.gateway,
        dev: route.dev,
        protocol: route.protocol as RouteProtocol,
        scope: (route.scope === 'global' ? 'universe' : route.scope) as RouteScope,
      }));
    const neighbors: PodNeighbor[] = podNeighbours
      .filter((n) => n.dev === iface && n.permanent && n.lladdr !== undefined)
      .map((n) => ({ ip: n.dst, hwAddr: n.lladdr, dev: iface, state: 'permanent' }));

    const inUse = [...hostLinks, ...podLinks].flatMap((l) => (l.vxlan === undefined ? [] : [l.vxlan.id]));
    const index = this.allocator.allocate(inUse);
    return {
      podIp: addresses[0]!,
      podHwAddr: link.address ?? '',
      interface: iface,
      workerNodeIp,
      tunnelType: 'vxlan',
      routes,
      neighbors,
      mtu: link.mtu,
      index,
      vxlanPort: this.settings.vxlanPort,
      vxlanId: this.settings.vxlanMinId + index,
      dedicated:
        this.settings.hostInterface !== undefined && this.settings.hostInterface !== '' && wanted !== primary,
      externalNetViaPodVm: false,
    };
  }

  async setup(request: {
    sandboxId: string;
    netnsPath: string;
    instanceIps: readonly string[];
    podNetwork: PodNetwork;
  }): Promise<void> {
    const { podNetwork, netnsPath } = request;
    const vni = podNetwork.vxlanId ?? this.settings.vxlanMinId + podNetwork.index;
    const port = podNetwork.vxlanPort ?? this.settings.vxlanPort;
    const what = `worker setup of vni ${vni} for sandbox ${request.sandboxId}`;
    const remote = podNetwork.dedicated ? request.instanceIps[1] : request.instanceIps[0];
    const iface = podNetwork.interface;
    const pod: NetopsOptions = { netns: netnsPath, timeoutMs: this.options.timeoutMs };

    // One read of the pod netns's links and qdiscs and of the host's links, shared by the checks and
    // the choice of the temporary link name.
    const hostLinks = await step(what, 'check', async () => {
      if (remote === undefined || !isIPv4(remote)) {
        throw new Error(
          `no IPv4 instance IP for the tunnel in [${request.instanceIps.join(', ')}] (dedicated: ${podNetwork.dedicated})`,
        );
      }
      await assertNetnsExists(netnsPath);
      const [podLinks, podQdiscs, hostLinks] = await Promise.all([
        listLinks(pod),
        listQdiscs(pod),
        listLinks(this.host),
      ]);
      if (podLinks.some((l) => l.name === WORKER_TUNNEL_NAME))
        throw new Error(`${netnsPath} already has ${WORKER_TUNNEL_NAME}`);
      if (!podLinks.some((l) => l.name === iface)) throw new Error(`${netnsPath} has no interface ${iface}`);
      if (podQdiscs.some((q) => q.dev === iface && q.kind === 'ingress')) {
        throw new Error(`${iface} in ${netnsPath} already has an ingress qdisc`);
      }
      const hostVnis = hostLinks.filter((l) => l.vxlan?.id === vni).map((l) => l.name);
      if (hostVnis.length > 0)
        throw new Error(`vni ${vni} is already used by ${hostVnis.join(', ')} in the host netns`);
      return hostLinks;
    });

    const ipt = await step(what, 'find iptables', () => this.iptables());

    // The NOTRACK rules and the link are independent: built at once. If any step of either fails,
    // everything both did is undone (the link may be in the host netns, when the move failed, or in
    // the pod netns under either name), and the first failure in the order rules, create, configure,
    // redirects is thrown.
    const temp = this.reserveName(hostLinks);
    const mtu = Math.min(podNetwork.mtu > 0 ? podNetwork.mtu : MAX_TUNNEL_MTU, MAX_TUNNEL_MTU);
    const rules = () =>
      step(what, 'add iptables NOTRACK rules', () =>
        addNotrackRules(ipt, { remote: remote!, vni, port }, this.host),
      );
    const link = async () => {
      try {
        // A failed create is undone here, while the name is still reserved.
        await step(
          what,
          'create vxlan link',
          () =>
            ipBatch(
              [
                `link add ${temp} type vxlan id ${vni} remote ${remote} dstport ${port}`,
                `link set ${temp} netns ${netnsMoveRef(netnsPath)}`,
              ],
              this.host,
            ),
          () => ipBatch([`link del ${temp}`], this.host).catch(() => {}),
        );
      } finally {
        this.reservedNames.delete(temp);
      }
      await step(what, 'configure vxlan1 in the pod netns', () =>
        ipBatch(
          [
            `link set ${temp} name ${WORKER_TUNNEL_NAME}`,
            `link set ${WORKER_TUNNEL_NAME} mtu ${mtu}`,
            `link set ${WORKER_TUNNEL_NAME} up`,
          ],
          pod,
        ),
      );
      await step(what, 'add tc redirects', () =>
        tcBatch(
          [
            `qdisc add dev ${iface} ingress`,
            `filter add dev ${iface} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${WORKER_TUNNEL_NAME}`,
            `qdisc add dev ${WORKER_TUNNEL_NAME} ingress`,
            `filter add dev ${WORKER_TUNNEL_NAME} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${iface}`,
          ],
          pod,
        ),
      );
    };
    const results = await Promise.allSettled([rules(), link()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) return;
    const linkResult = results[1];
    const linkCreated = !(
      linkResult.status === 'rejected' &&
      linkResult.reason instanceof PodNetworkError &&
      linkResult.reason.step === 'create vxlan link'
    );
    await Promise.all([
      (async () => {
        if (!linkCreated) return;
        await tcBatch([`qdisc del dev ${iface} ingress`], pod).catch(() => {});
        await ipBatch([`link del ${temp}`], pod).catch(() => {});
        await ipBatch([`link del ${WORKER_TUNNEL_NAME}`], pod).catch(() => {});
      })(),
      removeNotrackRules(ipt, vni, this.host).catch(() => {}),
    ]);
    throw failed.reason;
  }

  async teardown(request: { sandboxId: string; netnsPath: string; podNetwork: PodNetwork }): Promise<void> {
    const { podNetwork, netnsPath } = request;
    const vni = podNetwork.vxlanId ?? this.settings.vxlanMinId + podNetwork.index;
    const what = `worker teardown of vni ${vni} for sandbox ${request.sandboxId}`;
    const iface = podNetwork.interface;
    const pod: NetopsOptions = { netns: netnsPath, timeoutMs: this.options.timeoutMs };

    // Three independent parts at once: the pod netns (the eth0 redirect and vxlan1, whose delete waits
    // for the kernel's RCU), leftover links in the host netns, and the iptables rules. Every part runs to
    // its end; the first failure in that order is thrown, and the index is kept until a teardown
    // succeeds.
    const podSide = async () => {
      if (!(await netnsExists(netnsPath))) return;
      const [filters, link] = await Promise.all([
        step(what, 'delete tc redirects', () => listFilters(iface, pod).catch(() => [])),
        step(what, 'delete vxlan1', () => getLink(WORKER_TUNNEL_NAME, pod)),
      ]);
      // The eth0 redirect and vxlan1 go at once (a mirred action whose device is deleted drops);
      // both run to their end before a failure is thrown.
      const deleted = await Promise.allSettled([
        step(what, 'delete tc redirects', async () => {
          const ours = filters.some((f) => f.actions.some((a) => a.toDev === WORKER_TUNNEL_NAME));
          if (ours) await tcBatch([`qdisc del dev ${iface} ingress`], pod);
        }),
        step(what, 'delete vxlan1', async () => {
          if (link?.kind === 'vxlan' && link.vxlan?.id === vni)
            await ipBatch([`link del ${WORKER_TUNNEL_NAME}`], pod);
        }),
      ]);
      const failed = deleted.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    };
    const hostSide = () =>
      step(what, 'delete leftover links', async () => {
        const leftovers = (await listLinks(this.host)).filter(
          (l) => l.name.startsWith(TEMP_PREFIX) && l.vxlan?.id === vni,
        );
        if (leftovers.length > 0)
          await ipBatch(
            leftovers.map((l) => `link del ${l.name}`),
            this.host,
          );
      });
    const rules = async () => {
      const ipt = await step(what, 'find iptables', () => this.iptables());
      await step(what, 'remove iptables NOTRACK rules', () => removeNotrackRules(ipt, vni, this.host));
    };
    const results = await Promise.allSettled([podSide(), hostSide(), rules()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    this.allocator.release(podNetwork.index);
  }

  private iptables(): Promise<Iptables> {
    if (this.iptablesPromise === undefined) {
      const found = (this.options.iptables ?? detectIptables)();
      this.iptablesPromise = found;
      found.catch(() => {
        if (this.iptablesPromise === found) this.iptablesPromise = undefined;
      });
    }
    return this.iptablesPromise;
  }

  /** The first ppvxlanN (N ≥ 1) that neither the host netns (its links, just read) nor a concurrent setup uses. */
  private reserveName(hostLinks: readonly Link[]): string {
    const names = new Set(hostLinks.map((link) => link.name));
    for (let n = 1; ; n++) {
      const name = `${TEMP_PREFIX}${n}`;
      if (!names.has(name) && !this.reservedNames.has(name)) {
        this.reservedNames.add(name);
        return name;
      }
    }
  }
}

/** IPv4 addresses of `dev` in prefix form (`10.244.1.7/24`), in ip's order. */
function cidrsOf(addresses: readonly Address[], dev: string): string[] {
  return addresses.filter((a) => a.ifname === dev && a.family === 'inet').map((a) => a.cidr);
}
