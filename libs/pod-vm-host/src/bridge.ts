import {
  hostAddress,
  type Ipv4Subnet,
  ipBatch,
  listLinksAndAddresses,
  listRoutes,
  overlaps,
  runIp,
  subnetContaining,
} from '@peerpods/netops';
import type { HostLabels } from './labels';

/**
 * Makes sure the provider's bridge exists in the daemon's network namespace with the subnet's
 * first address, and that nothing else there already routes any of the subnet (pod VMs would be
 * unreachable, or worse, another network would be). A bridge of the same name left by a crashed run
 * is adopted.
 */
export async function ensureBridge(
  name: string,
  subnet: Ipv4Subnet,
  labels: HostLabels,
  netns?: string,
): Promise<void> {
  const gateway = `${hostAddress(subnet, 1)}/${subnet.prefixLength}`;
  const [{ links, addresses }, routes] = await Promise.all([
    listLinksAndAddresses({ family: 'inet', netns }),
    listRoutes({ netns }),
  ]);
  for (const route of routes) {
    if (route.dev === name || route.dst === '0.0.0.0/0') continue;
    let routed: Ipv4Subnet;
    try {
      routed = subnetContaining(route.dst);
    } catch {
      continue;
    }
    if (overlaps(routed, subnet)) {
      throw new Error(
        `${labels.owner} subnet ${subnet.cidr} overlaps the route "${route.dst}${route.dev ? ` dev ${route.dev}` : ''}" ` +
          `in this network namespace; choose a free one with ${labels.options.subnet}`,
      );
    }
  }
  const existing = links.find((link) => link.name === name);
  if (existing && existing.kind !== 'bridge') {
    throw new Error(
      `${labels.owner} bridge ${name} exists but is a ${existing.kind ?? 'device'}, not a bridge; choose another with ${labels.options.bridge}`,
    );
  }
  const lines: string[] = [];
  if (!existing) lines.push(`link add ${name} type bridge`);
  if (!addresses.some((address) => address.ifname === name && address.cidr === gateway)) {
    lines.push(`addr add ${gateway} dev ${name}`);
  }
  lines.push(`link set ${name} up`);
  await ipBatch(lines, { netns });
}

/** Removes the bridge; fine when it is gone already. */
export async function removeBridge(name: string, netns?: string): Promise<void> {
  try {
    await runIp(['link', 'del', name], { netns });
  } catch (error) {
    if (!/Cannot find device|does not exist/.test(String(error))) throw error;
  }
}
