import type { PodNetwork } from '@peerpods/apf-config';
import { type CommandRunner, detectIptables, getLink, ipBatch, netnsExists } from '@peerpods/netops';
import {
  POD_VM_TUNNEL_NAME,
  primaryInterface,
  removeNotrackRules,
  VxlanPodVmNetwork,
  VxlanWorkerNetwork,
  WORKER_TUNNEL_NAME,
} from '@peerpods/podnetwork';

// Every function takes the runner for its ip, tc and iptables processes: the CLI traces them at debug.
export interface TunnelFlags {
  hostInterface?: string;
  vxlanPort: number;
  vxlanMinId: number;
}

const network = (flags: TunnelFlags, run?: CommandRunner) =>
  new VxlanWorkerNetwork(
    { vxlanPort: flags.vxlanPort, vxlanMinId: flags.vxlanMinId, hostInterface: flags.hostInterface },
    { run },
  );

export function workerInspect(netns: string, flags: TunnelFlags, run?: CommandRunner): Promise<PodNetwork> {
  return network(flags, run).inspect(netns);
}

/** inspect + worker setup, the way StartVM does it; the result feeds `podvm up`. */
export async function workerUp(
  netns: string,
  remotes: string[],
  flags: TunnelFlags,
  run?: CommandRunner,
): Promise<PodNetwork> {
  const worker = network(flags, run);
  const podNetwork = await worker.inspect(netns);
  await worker.setup({ sandboxId: 'peerpod-tunnel', netnsPath: netns, instanceIps: remotes, podNetwork });
  return podNetwork;
}

/** Tears down the tunnel found in the namespace (its vxlan1 tells the VNI); a no-op when there is none. */
export async function workerDown(netns: string, flags: TunnelFlags, run?: CommandRunner): Promise<string> {
  const link = (await netnsExists(netns)) ? await getLink(WORKER_TUNNEL_NAME, { netns, run }) : undefined;
  if (link?.vxlan === undefined) return `no tunnel in ${netns}`;
  const iface = (await primaryInterface({ netns, run })) ?? 'eth0';
  const vni = link.vxlan.id;
  await network(flags, run).teardown({
    sandboxId: 'peerpod-tunnel',
    netnsPath: netns,
    podNetwork: {
      podIp: '',
      podHwAddr: '',
      interface: iface,
      workerNodeIp: '',
      tunnelType: 'vxlan',
      routes: [],
      neighbors: [],
      mtu: 0,
      index: vni - flags.vxlanMinId,
      vxlanId: vni,
      vxlanPort: flags.vxlanPort,
      dedicated: false,
      externalNetViaPodVm: false,
    },
  });
  return `removed the tunnel with VNI ${vni} from ${netns}`;
}

export async function podVmUp(
  apf: { podNetwork: PodNetwork },
  podNamespace: string,
  hostInterface?: string,
  run?: CommandRunner,
): Promise<void> {
  await new VxlanPodVmNetwork({ run }).setup({
    podNetwork: apf.podNetwork,
    podNamespacePath: podNamespace,
    hostInterface,
  });
}

/** Removes the pod interface (if it is ours: a vxlan link) and the NOTRACK rules of the VNI. */
export async function podVmDown(
  apf: { podNetwork: PodNetwork },
  podNamespace: string,
  run?: CommandRunner,
): Promise<string> {
  const { podNetwork } = apf;
  const vni = podNetwork.vxlanId ?? 555000 + podNetwork.index;
  const iface = podNetwork.interface || POD_VM_TUNNEL_NAME;
  let removed = false;
  if (await netnsExists(podNamespace)) {
    const link = await getLink(iface, { netns: podNamespace, run });
    if (link?.kind === 'vxlan') {
      await ipBatch([`link del ${iface}`], { netns: podNamespace, run });
      removed = true;
    }
  }
  await removeNotrackRules(await detectIptables({ run }), vni, { run });
  return removed
    ? `removed ${iface} (VNI ${vni}) from ${podNamespace}`
    : `no tunnel interface ${iface} in ${podNamespace}`;
}
