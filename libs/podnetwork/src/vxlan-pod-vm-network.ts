import { basename, dirname, resolve } from 'node:path';
import type { PodNetwork, PodRoute } from '@peerpods/apf-config';
import {
  type CommandRunner,
  createNetns,
  detectIptables,
  getLink,
  type Iptables,
  ipBatch,
  type NetopsOptions,
  netnsExists,
  netnsMoveRef,
} from '@peerpods/netops';
import { step } from './errors';
import { addNotrackRules, removeNotrackRules } from './notrack';
import type { PodVmNetwork } from './pod-vm-network';
import { ipv4Addresses, primaryInterface, subnetOf, withoutPrefix } from './primary-interface';
import { MAX_TUNNEL_MTU } from './vxlan-worker-network';

/**
 * Upstream's name for the tunnel in the VM's root netns before it moves into the pod netns. Ours is
 * created in the pod netns under the pod's interface name, so it never exists; kept for callers.
 */
export const POD_VM_TUNNEL_NAME = 'vxlan0';

export interface VxlanPodVmNetworkOptions {
  /** The VM's root netns path; default: this process's own. */
  rootNetns?: string;
  /** How long to wait for the VM's primary interface and its IPv4; default 3 min. */
  waitTimeoutMs?: number;
  /** Poll interval while waiting; default 1 s. */
  waitTickMs?: number;
  /** Told once when setup has to wait for the network (so a long wait is never silent). */
  onWaiting?: (why: string) => void;
  /** How to find iptables; default netops's detectIptables(). */
  iptables?: () => Promise<Iptables>;
  timeoutMs?: number;
  /** Runs every ip, tc and iptables process (default netops's runCommand): tests, logging. */
  run?: CommandRunner;
}

/**
 * The pod-VM side of the VXLAN tunnel (docs/compatibility.md §5.3): recreate the pod's interface (IP, MAC,
 * MTU, routes, permanent neighbours) in the pod netns as the end of a tunnel to the worker.
 */
export class VxlanPodVmNetwork implements PodVmNetwork {
  private readonly root: NetopsOptions;
  private active: { podNetns: string; iface: string; vni: number } | undefined;

  constructor(private readonly options: VxlanPodVmNetworkOptions = {}) {
    this.root = { netns: options.rootNetns, timeoutMs: options.timeoutMs, run: options.run };
  }

  private findIptables(): Promise<Iptables> {
    return this.options.iptables?.() ?? detectIptables({ run: this.options.run });
  }

  async setup(request: {
    podNetwork: PodNetwork;
    podNamespacePath: string;
    hostInterface?: string;
  }): Promise<void> {
    const { podNetwork: net, podNamespacePath } = request;
    if (net.vxlanId === undefined) throw new Error('pod-network has no vxlan-id');
    const vni = net.vxlanId;
    const port = net.vxlanPort ?? 4789;
    const remote = withoutPrefix(net.workerNodeIp);
    const iface = net.interface;
    const what = `pod VM setup of vni ${vni}`;
    const pod: NetopsOptions = {
      netns: podNamespacePath,
      timeoutMs: this.options.timeoutMs,
      run: this.options.run,
    };

    // A given host interface stands for the primary one, so the VM then needs no default route.
    await step(what, 'wait for the primary interface', () =>
      this.waitForAddress(request.hostInterface || undefined),
    );
    await step(what, 'open the pod netns', async () => {
      if (await netnsExists(podNamespacePath)) return;
      const absolute = resolve(podNamespacePath);
      if (dirname(absolute) !== '/run/netns' && dirname(absolute) !== '/var/run/netns') {
        throw new Error(`network namespace ${podNamespacePath} does not exist`);
      }
      await createNetns(basename(absolute), { timeoutMs: this.options.timeoutMs, run: this.options.run });
      await ipBatch(['link set lo up'], pod);
    });
    const ipt = await step(what, 'find iptables', () => this.findIptables());
    const mtu = Math.min(net.mtu > 0 ? net.mtu : MAX_TUNNEL_MTU, MAX_TUNNEL_MTU);
    const lines = await step(what, 'plan the pod interface', async () => podInterfaceLines(net, iface));

    // Two independent branches at once, each run to its end: the NOTRACK rules, and the interface.
    // The interface is created from the VM's root netns directly inside the pod netns with its MAC
    // and MTU: its UDP socket opens in the root netns, as when upstream creates vxlan0 there and moves
    // it, without the move's wait in the kernel. A name already taken in the pod netns is refused by
    // the kernel (EEXIST). A failure undoes only what this call made: rules it added (a restarted
    // forwarder finds its predecessor's in place and must not remove them), the interface it created.
    let created = false;
    const [rules, link] = await Promise.allSettled([
      step(what, 'add iptables NOTRACK rules', () => addNotrackRules(ipt, { remote, vni, port }, this.root)),
      (async () => {
        await step(what, 'create vxlan link', async () => {
          if (await getLink(iface, pod).catch(() => undefined)) {
            throw new Error(`${podNamespacePath} already has ${iface}`);
          }
          // Made under a name of its own, then renamed: Linux 6.1 (Debian 12's) checks a new link's
          // name in the namespace that creates it, where the VM's own eth0 usually is.
          const temporary = `ppvx${vni}`;
          await ipBatch(
            [
              `link add ${temporary} netns ${netnsMoveRef(podNamespacePath)} address ${net.podHwAddr} mtu ${mtu} type vxlan id ${vni} remote ${remote} dstport ${port}`,
            ],
            this.root,
          ).catch(async (error: unknown) => {
            // ip killed (time-out) after the kernel made it: ours only if it is a vxlan of our VNI.
            const maybe = await getLink(temporary, pod).catch(() => undefined);
            if (maybe?.kind === 'vxlan' && maybe.vxlan?.id === vni) {
              await ipBatch([`link del ${temporary}`], pod).catch(() => {});
            }
            throw error;
          });
          await ipBatch([`link set ${temporary} name ${iface}`], pod).catch(async (error: unknown) => {
            await ipBatch([`link del ${temporary}`], pod).catch(() => {});
            throw error;
          });
          created = true;
        });
        await step(what, 'configure the pod interface', () => ipBatch(lines, pod));
      })(),
    ]);
    if (rules.status === 'rejected' || link.status === 'rejected') {
      if (created) await ipBatch([`link del ${iface}`], pod).catch(() => {});
      if (rules.status === 'fulfilled' && rules.value) {
        await removeNotrackRules(ipt, vni, this.root).catch(() => {});
      }
      throw rules.status === 'rejected' ? rules.reason : (link as PromiseRejectedResult).reason;
    }
    this.active = { podNetns: podNamespacePath, iface, vni };
  }

  async teardown(): Promise<void> {
    const active = this.active;
    if (active === undefined) return;
    const what = `pod VM teardown of vni ${active.vni}`;
    const pod: NetopsOptions = {
      netns: active.podNetns,
      timeoutMs: this.options.timeoutMs,
      run: this.options.run,
    };
    await step(what, 'delete the pod interface', async () => {
      if (!(await netnsExists(active.podNetns))) return;
      const link = await getLink(active.iface, pod);
      if (link?.kind === 'vxlan') await ipBatch([`link del ${active.iface}`], pod);
    });
    const ipt = await step(what, 'find iptables', () => this.findIptables());
    await step(what, 'remove iptables NOTRACK rules', () => removeNotrackRules(ipt, active.vni, this.root));
    this.active = undefined;
  }

  /** Waits for `dev` (default: the primary interface) to have exactly one IPv4 address. */
  private async waitForAddress(dev: string | undefined): Promise<string> {
    const until = Date.now() + (this.options.waitTimeoutMs ?? 180_000);
    let last = 'no IPv4 default route';
    let told = false;
    for (;;) {
      const name = dev ?? (await primaryInterface(this.root));
      if (name !== undefined) {
        const addresses = await ipv4Addresses(name, this.root).catch(() => []);
        if (addresses.length === 1) return addresses[0]!;
        if (addresses.length > 1) {
          throw new Error(
            `interface ${name} has ${addresses.length} IPv4 addresses (${addresses.join(', ')}); expected exactly one`,
          );
        }
        last = `interface ${name} has no IPv4 address`;
      }
      if (Date.now() >= until) throw new Error(`timed out: ${last}`);
      if (!told) {
        told = true;
        const seconds = Math.round((this.options.waitTimeoutMs ?? 180_000) / 1000);
        this.options.onWaiting?.(`waiting up to ${seconds} s for the network: ${last}`);
      }
      await new Promise((r) => setTimeout(r, this.options.waitTickMs ?? 1000));
    }
  }
}

/** The pod-netns batch that gives the new interface the pod's address, routes and neighbours. */
function podInterfaceLines(net: PodNetwork, iface: string): string[] {
  const lines = [`addr add ${net.podIp} dev ${iface}`, `link set ${iface} up`];
  if (!net.podIp.endsWith('/32')) lines.push(`route del ${subnetOf(net.podIp)} dev ${iface} proto kernel`);
  const routes = net.routes.filter((r) => r.dev === undefined || r.dev === '' || r.dev === iface);
  for (const route of [...routes.filter((r) => !r.gw), ...routes.filter((r) => r.gw)])
    lines.push(routeLine(route, iface));
  for (const n of net.neighbors) {
    if (n.ip && n.hwAddr) lines.push(`neigh replace ${n.ip} lladdr ${n.hwAddr} dev ${iface} nud permanent`);
  }
  return lines;
}

function routeLine(route: PodRoute, iface: string): string {
  const dst = !route.dst || route.dst === '0.0.0.0/0' ? 'default' : route.dst;
  const parts = ['route', 'add', dst];
  if (route.gw) parts.push('via', route.gw);
  parts.push('dev', iface);
  if (!route.gw) parts.push('scope', 'link');
  else if (route.scope && route.scope !== 'universe') parts.push('scope', route.scope);
  if (route.protocol) parts.push('proto', route.protocol);
  return parts.join(' ');
}
