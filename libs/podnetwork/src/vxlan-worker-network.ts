import { isIPv4 } from 'node:net';
import type { PodNeighbor, PodNetwork, PodRoute, RouteProtocol, RouteScope } from '@peerpods/apf-config';
import {
  type Address,
  assertNetnsExists,
  type CommandRunner,
  deleteLink,
  detectIptables,
  getLink,
  type Iptables,
  ipBatch,
  listFilters,
  listLinks,
  listLinksAndAddresses,
  listNeighbours,
  listQdiscs,
  listRoutes,
  NetopsCommandError,
  type NetopsOptions,
  netnsExists,
  netnsMoveRef,
  tcBatch,
} from '@peerpods/netops';
import { step } from './errors';
import { addNotrackRules, hasNotrackRules, reclaimNotrackRules, removeNotrackRules } from './notrack';
import { primaryInterfaceOf } from './primary-interface';
import { VniAllocator } from './vni-allocator';
import type { TunnelSettings, WorkerNetwork } from './worker-network';
import {
  linkGroup,
  MAX_TUNNEL_MTU,
  removePodSide,
  WORKER_TUNNEL_NAME,
  type WorkerTunnel,
} from './worker-tunnel';

export { MAX_TUNNEL_MTU, WORKER_TUNNEL_NAME } from './worker-tunnel';

const COPIED_PROTOCOLS = new Set(['static', 'boot', 'dhcp', 'kernel']);

export interface VxlanWorkerNetworkOptions {
  /** The worker's (host) netns path; default: this process's own. */
  hostNetns?: string;
  /** How to find iptables; default netops's detectIptables(). */
  iptables?: () => Promise<Iptables>;
  /** Per-command timeout for netops. */
  timeoutMs?: number;
  /** Runs every ip, tc and iptables process (default netops's runCommand): tests, logging. */
  run?: CommandRunner;
}

/**
 * The worker side of the VXLAN tunnel (docs/compatibility.md §5.1, §5.2): inspect a pod netns, then build
 * `vxlan1` in it (created from the host netns, so its UDP socket stays there), redirect the pod
 * interface to it with tc, and exempt the UDP flow from conntrack in the host's raw table.
 */
export class VxlanWorkerNetwork implements WorkerNetwork {
  private readonly allocator: VniAllocator;
  private readonly host: NetopsOptions;
  private iptablesPromise: Promise<Iptables> | undefined;

  constructor(
    private readonly settings: TunnelSettings,
    private readonly options: VxlanWorkerNetworkOptions = {},
  ) {
    this.allocator = new VniAllocator(settings.vxlanMinId);
    this.host = { netns: options.hostNetns, timeoutMs: options.timeoutMs, run: options.run };
  }

  /** Indexes this process holds (inspected and not torn down). */
  get allocatedCount(): number {
    return this.allocator.size;
  }

  async inspect(netnsPath: string): Promise<PodNetwork> {
    await assertNetnsExists(netnsPath);
    const pod = this.podOptions(netnsPath);

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
    const pod = this.podOptions(netnsPath);
    await step(what, 'check', async () => {
      if (remote === undefined || !isIPv4(remote)) {
        throw new Error(
          `no IPv4 instance IP for the tunnel in [${request.instanceIps.join(', ')}] (dedicated: ${podNetwork.dedicated})`,
        );
      }
      await assertNetnsExists(netnsPath);
    });
    const ipt = await step(what, 'find iptables', () => this.iptables());

    // No read before changing anything: the kernel refuses the collisions itself (a VNI+port already
    // used in the host netns, vxlan1 already in the pod netns, an ingress qdisc already on the pod
    // interface), and a failure is explained from a read afterwards. The NOTRACK rules and the link are
    // independent: built at once. If any step of either fails, what this call added is undone (and
    // nothing else: a tunnel already in place stays) and the first failure in the order rules,
    // create, redirects is thrown.
    const mtu = Math.min(podNetwork.mtu > 0 ? podNetwork.mtu : MAX_TUNNEL_MTU, MAX_TUNNEL_MTU);
    let addedRules = false;
    let created = false;
    let redirectLines = 0;
    const rules = async () => {
      addedRules = await step(what, 'add iptables NOTRACK rules', () =>
        addNotrackRules(ipt, { remote: remote!, vni, port }, this.host),
      );
    };
    const redirects = [
      `qdisc add dev ${iface} ingress`,
      `filter add dev ${iface} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${WORKER_TUNNEL_NAME}`,
      `qdisc add dev ${WORKER_TUNNEL_NAME} ingress`,
      `filter add dev ${WORKER_TUNNEL_NAME} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${iface}`,
    ];
    const link = async () => {
      await step(what, 'create vxlan link', () =>
        this.createLink({ vni, port, remote: remote!, mtu, netnsPath }),
      );
      created = true;
      await step(what, 'add tc redirects', async () => {
        try {
          await tcBatch(redirects, pod);
        } catch (error) {
          // tc stops at the failing line; the lines before it stay applied.
          const line = failedLineOf(error);
          if (line === undefined) {
            // No line named (tc timed out, was killed, or could not parse): any of the lines may have
            // applied. A filter on the pod interface that redirects to vxlan1 is ours (vxlan1 was just
            // created by this call, and a filter holds its target by ifindex), so its qdisc goes in
            // the undo, before vxlan1 does; vxlan1's own goes with it.
            const filters = await listFilters(iface, pod).catch(() => []);
            const toTunnel = filters.some((f) => f.actions.some((a) => a.toDev === WORKER_TUNNEL_NAME));
            redirectLines = toTunnel ? 2 : 0;
            throw error;
          }
          redirectLines = line - 1;
          if (redirectLines === 0) {
            const qdiscs = await listQdiscs({ ...pod, dev: iface }).catch(() => []);
            if (qdiscs.some((q) => q.kind === 'ingress'))
              throw explained(`${iface} in ${netnsPath} already has an ingress qdisc`, error);
          }
          throw error;
        }
      });
    };
    const results = await Promise.allSettled([rules(), link()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed === undefined) return;
    await Promise.all([
      (async () => {
        // vxlan1's own qdisc goes with it; the pod interface's only if this call added it.
        if (redirectLines > 0) await tcBatch([`qdisc del dev ${iface} ingress`], pod).catch(() => {});
        if (created) await deleteLink(WORKER_TUNNEL_NAME, pod).catch(() => {});
      })(),
      addedRules ? removeNotrackRules(ipt, vni, this.host).catch(() => {}) : undefined,
    ]);
    throw failed.reason;
  }

  async teardown(request: { sandboxId: string; netnsPath: string; podNetwork: PodNetwork }): Promise<void> {
    const { podNetwork, netnsPath } = request;
    const vni = podNetwork.vxlanId ?? this.settings.vxlanMinId + podNetwork.index;
    const what = `worker teardown of vni ${vni} for sandbox ${request.sandboxId}`;
    const pod = this.podOptions(netnsPath);
    const tunnel: WorkerTunnel = { what, vni, iface: podNetwork.interface, pod };

    // Two independent parts at once: the pod netns (the eth0 redirect and vxlan1) and the iptables
    // rules. Both run to their end; the first failure in that order is thrown, and the index is kept
    // until a teardown succeeds.
    const podSide = async () => {
      if (!(await netnsExists(netnsPath))) return;
      try {
        await removePodSide(tunnel);
      } catch (error) {
        // The namespace went while we worked in it (the shim or kubelet deleted it): its links and
        // filters went with it, which is what this step was for.
        if (await netnsExists(netnsPath)) throw error;
      }
    };
    const rules = async () => {
      const ipt = await step(what, 'find iptables', () => this.iptables());
      await step(what, 'remove iptables NOTRACK rules', () => removeNotrackRules(ipt, vni, this.host));
    };
    const results = await Promise.allSettled([podSide(), rules()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    this.allocator.release(podNetwork.index);
  }

  /**
   * Takes over a tunnel a previous run of the daemon built (restart survival): reserves its index,
   * then checks that vxlan1 (with the VNI and remote), the pod interface's redirect to it and the
   * NOTRACK rules are all there. Anything missing is repaired by removing what is left and building
   * the tunnel again. Resolves what it found. The index stays reserved whatever happens, until a
   * teardown releases it.
   */
  async adopt(request: {
    sandboxId: string;
    netnsPath: string;
    instanceIps: readonly string[];
    podNetwork: PodNetwork;
  }): Promise<'intact' | 'repaired'> {
    const { podNetwork, netnsPath } = request;
    this.allocator.reserve(podNetwork.index);
    const vni = podNetwork.vxlanId ?? this.settings.vxlanMinId + podNetwork.index;
    const port = podNetwork.vxlanPort ?? this.settings.vxlanPort;
    const remote = podNetwork.dedicated ? request.instanceIps[1] : request.instanceIps[0];
    const what = `worker adoption of vni ${vni} for sandbox ${request.sandboxId}`;
    await step(what, 'check', () => assertNetnsExists(netnsPath));
    const pod = this.podOptions(netnsPath);
    const ipt = await step(what, 'find iptables', () => this.iptables());
    const [link, filters, listing] = await Promise.all([
      getLink(WORKER_TUNNEL_NAME, pod),
      listFilters(podNetwork.interface, pod).catch(() => []),
      ipt.listTable('raw', this.host),
    ]);
    const intact =
      remote !== undefined &&
      link?.vxlan?.id === vni &&
      link.vxlan.remote === remote &&
      filters.some((f) => f.actions.some((a) => a.toDev === WORKER_TUNNEL_NAME)) &&
      hasNotrackRules(listing, { remote, vni, port });
    if (intact) return 'intact';
    const tunnel: WorkerTunnel = { what, vni, iface: podNetwork.interface, pod };
    await removePodSide(tunnel);
    await step(what, 'remove iptables NOTRACK rules', () => removeNotrackRules(ipt, vni, this.host));
    await this.setup(request);
    return 'repaired';
  }

  /**
   * After a restart, once every surviving tunnel is adopted: removes the NOTRACK rules of the VNIs
   * outside `keep` (those of sandboxes that did not survive). Resolves the VNIs removed.
   */
  async reclaim(keep: ReadonlySet<number>): Promise<number[]> {
    const ipt = await this.iptables();
    return reclaimNotrackRules(ipt, keep, this.host);
  }

  /**
   * One request from the host netns creates vxlan1 directly in the pod netns with its MTU, up, in its
   * marker link group (`linkGroup`, only this code sets it; what lets teardown delete it without
   * reading it first): the
   * VXLAN's UDP socket is opened in the netns that asked (the host's), as when upstream creates it
   * there and moves it, without the move's ~15 ms of kernel waiting. The kernel refuses a VNI+port
   * already used by the host's sockets, or a vxlan1 already in the pod netns, and a failure leaves no
   * link (a link that cannot come up is unregistered again). A read then says which it was.
   */
  private async createLink(t: {
    vni: number;
    port: number;
    remote: string;
    mtu: number;
    netnsPath: string;
  }): Promise<void> {
    try {
      await ipBatch(
        [
          `link add ${WORKER_TUNNEL_NAME} netns ${netnsMoveRef(t.netnsPath)} group ${linkGroup(t.vni)} mtu ${t.mtu} up type vxlan id ${t.vni} remote ${t.remote} dstport ${t.port}`,
        ],
        this.host,
      );
    } catch (error) {
      const [hostLinks, existing] = await Promise.all([
        listLinks(this.host).catch(() => []),
        getLink(WORKER_TUNNEL_NAME, this.podOptions(t.netnsPath)).catch(() => undefined),
      ]);
      const users = hostLinks.filter((l) => l.vxlan?.id === t.vni && (l.vxlan.port ?? t.port) === t.port);
      if (users.length > 0) {
        const names = users.map((l) => l.name).join(', ');
        throw explained(`vni ${t.vni} is already used by ${names} in the host netns`, error);
      }
      if (existing !== undefined) throw explained(`${t.netnsPath} already has ${WORKER_TUNNEL_NAME}`, error);
      throw error;
    }
  }

  private podOptions(netnsPath: string): NetopsOptions {
    return { netns: netnsPath, timeoutMs: this.options.timeoutMs, run: this.options.run };
  }

  private iptables(): Promise<Iptables> {
    if (this.iptablesPromise === undefined) {
      const found = this.options.iptables?.() ?? detectIptables({ run: this.options.run });
      this.iptablesPromise = found;
      found.catch(() => {
        if (this.iptablesPromise === found) this.iptablesPromise = undefined;
      });
    }
    return this.iptablesPromise;
  }
}

/** The batch line number a netops command error names, if any. */
function failedLineOf(error: unknown): number | undefined {
  return error instanceof NetopsCommandError ? error.failedLine?.number : undefined;
}

/** The cause in words, then the command's own error. */
function explained(reason: string, error: unknown): Error {
  return new Error(`${reason} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
}

/** IPv4 addresses of `dev` in prefix form (`10.244.1.7/24`), in ip's order. */
function cidrsOf(addresses: readonly Address[], dev: string): string[] {
  return addresses.filter((a) => a.ifname === dev && a.family === 'inet').map((a) => a.cidr);
}
