import { isIPv4 } from 'node:net';
import type { PodNeighbor, PodNetwork, PodRoute, RouteProtocol, RouteScope } from '@peerpods/apf-config';
import {
  assertNetnsExists,
  detectIptables,
  getLink,
  type Iptables,
  ipBatch,
  listFilters,
  listLinks,
  listNeighbours,
  listQdiscs,
  listRoutes,
  type NetopsOptions,
  netnsExists,
  netnsMoveRef,
  tcBatch,
} from '@peerpods/netops';
import { step } from './errors';
import { addNotrackRules, removeNotrackRules } from './notrack';
import { ipv4Addresses, primaryInterface } from './primary-interface';
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

    const primary = await primaryInterface(this.host);
    const wanted = this.settings.hostInterface || primary;
    if (wanted === undefined) throw new Error('the host network namespace has no IPv4 default route');
    const [workerNodeIp] = await ipv4Addresses(wanted, this.host);
    if (workerNodeIp === undefined) throw new Error(`host interface ${wanted} has no IPv4 address`);

    const iface = await primaryInterface(pod);
    if (iface === undefined) throw new Error(`pod network namespace ${netnsPath} has no IPv4 default route`);
    const addresses = await ipv4Addresses(iface, pod);
    if (addresses.length !== 1) {
      const found =
        addresses.length === 0
          ? 'no IPv4 address'
          : `${addresses.length} IPv4 addresses (${addresses.join(', ')})`;
      throw new Error(`pod interface ${iface} in ${netnsPath} has ${found}; expected exactly one`);
    }
    const link = await getLink(iface, pod);
    if (link === undefined) throw new Error(`pod interface ${iface} in ${netnsPath} disappeared`);

    const routes: PodRoute[] = (await listRoutes(pod))
      .filter((route) => route.type === 'unicast' && COPIED_PROTOCOLS.has(route.protocol))
      .map((route) => ({
        dst: route.dst,
        gw: route.gateway,
        dev: route.dev,
        protocol: route.protocol as RouteProtocol,
        scope: (route.scope === 'global' ? 'universe' : route.scope) as RouteScope,
      }));
    const neighbors: PodNeighbor[] = (await listNeighbours({ ...pod, dev: iface, family: 'inet' }))
      .filter((n) => n.permanent && n.lladdr !== undefined)
      .map((n) => ({ ip: n.dst, hwAddr: n.lladdr, dev: iface, state: 'permanent' }));

    const inUse = await this.kernelVnis(netnsPath);
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

    await step(what, 'check', async () => {
      if (remote === undefined || !isIPv4(remote)) {
        throw new Error(
          `no IPv4 instance IP for the tunnel in [${request.instanceIps.join(', ')}] (dedicated: ${podNetwork.dedicated})`,
        );
      }
      await assertNetnsExists(netnsPath);
      if ((await getLink(WORKER_TUNNEL_NAME, pod)) !== undefined)
        throw new Error(`${netnsPath} already has ${WORKER_TUNNEL_NAME}`);
      if ((await getLink(iface, pod)) === undefined)
        throw new Error(`${netnsPath} has no interface ${iface}`);
      if ((await listQdiscs({ ...pod, dev: iface })).some((q) => q.kind === 'ingress')) {
        throw new Error(`${iface} in ${netnsPath} already has an ingress qdisc`);
      }
      const hostVnis = (await listLinks(this.host)).filter((l) => l.vxlan?.id === vni).map((l) => l.name);
      if (hostVnis.length > 0)
        throw new Error(`vni ${vni} is already used by ${hostVnis.join(', ')} in the host netns`);
    });

    const ipt = await step(what, 'find iptables', () => this.iptables());
    const undoRules = () => removeNotrackRules(ipt, vni, this.host);
    await step(
      what,
      'add iptables NOTRACK rules',
      () => addNotrackRules(ipt, { remote: remote!, vni, port }, this.host),
      undoRules,
    );

    const temp = await step(what, 'pick a link name', () => this.reserveName(), undoRules);
    try {
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
        async () => {
          await ipBatch([`link del ${temp}`], this.host).catch(() => {});
          await undoRules();
        },
      );
    } finally {
      this.reservedNames.delete(temp);
    }

    const undoLink = async () => {
      await tcBatch([`qdisc del dev ${iface} ingress`], pod).catch(() => {});
      await ipBatch([`link del ${temp}`], pod).catch(() => {});
      await ipBatch([`link del ${WORKER_TUNNEL_NAME}`], pod).catch(() => {});
      await undoRules();
    };
    const mtu = Math.min(podNetwork.mtu > 0 ? podNetwork.mtu : MAX_TUNNEL_MTU, MAX_TUNNEL_MTU);
    await step(
      what,
      'configure vxlan1 in the pod netns',
      () =>
        ipBatch(
          [
            `link set ${temp} name ${WORKER_TUNNEL_NAME}`,
            `link set ${WORKER_TUNNEL_NAME} mtu ${mtu}`,
            `link set ${WORKER_TUNNEL_NAME} up`,
          ],
          pod,
        ),
      undoLink,
    );
    await step(
      what,
      'add tc redirects',
      () =>
        tcBatch(
          [
            `qdisc add dev ${iface} ingress`,
            `filter add dev ${iface} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${WORKER_TUNNEL_NAME}`,
            `qdisc add dev ${WORKER_TUNNEL_NAME} ingress`,
            `filter add dev ${WORKER_TUNNEL_NAME} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${iface}`,
          ],
          pod,
        ),
      undoLink,
    );
  }

  async teardown(request: { sandboxId: string; netnsPath: string; podNetwork: PodNetwork }): Promise<void> {
    const { podNetwork, netnsPath } = request;
    const vni = podNetwork.vxlanId ?? this.settings.vxlanMinId + podNetwork.index;
    const what = `worker teardown of vni ${vni} for sandbox ${request.sandboxId}`;
    const iface = podNetwork.interface;
    const pod: NetopsOptions = { netns: netnsPath, timeoutMs: this.options.timeoutMs };

    if (await netnsExists(netnsPath)) {
      await step(what, 'delete tc redirects', async () => {
        const filters = await listFilters(iface, pod).catch(() => []);
        const ours = filters.some((f) => f.actions.some((a) => a.toDev === WORKER_TUNNEL_NAME));
        if (ours) await tcBatch([`qdisc del dev ${iface} ingress`], pod);
      });
      await step(what, 'delete vxlan1', async () => {
        const link = await getLink(WORKER_TUNNEL_NAME, pod);
        if (link?.kind === 'vxlan' && link.vxlan?.id === vni)
          await ipBatch([`link del ${WORKER_TUNNEL_NAME}`], pod);
      });
    }
    await step(what, 'delete leftover links', async () => {
      const leftovers = (await listLinks(this.host)).filter(
        (l) => l.name.startsWith(TEMP_PREFIX) && l.vxlan?.id === vni,
      );
      if (leftovers.length > 0)
        await ipBatch(
          leftovers.map((l) => `link del ${l.name}`),
          this.host,
        );
    });
    const ipt = await step(what, 'find iptables', () => this.iptables());
    await step(what, 'remove iptables NOTRACK rules', () => removeNotrackRules(ipt, vni, this.host));
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

  /** VNIs of the vxlan links in the host netns and in the pod netns. */
  private async kernelVnis(podNetns: string): Promise<number[]> {
    const links = [
      ...(await listLinks(this.host)),
      ...(await listLinks({ netns: podNetns, timeoutMs: this.options.timeoutMs })),
    ];
    return links.flatMap((link) => (link.vxlan === undefined ? [] : [link.vxlan.id]));
  }

  /** The first ppvxlanN (N ≥ 1) that neither the host netns nor a concurrent setup uses. */
  private async reserveName(): Promise<string> {
    const names = new Set((await listLinks(this.host)).map((link) => link.name));
    for (let n = 1; ; n++) {
      const name = `${TEMP_PREFIX}${n}`;
      if (!names.has(name) && !this.reservedNames.has(name)) {
        this.reservedNames.add(name);
        return name;
      }
    }
  }
}
