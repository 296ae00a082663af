import { type Address, type Link, listLinksAndAddresses, listRoutes, type Route } from '@peerpods/netops';
import { types } from '@peerpods/protocols';

/** Linux IFF_* bits by the names `ip` prints them. */
const IFF_BITS: Readonly<Record<string, number>> = {
  UP: 0x1,
  BROADCAST: 0x2,
  DEBUG: 0x4,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  NOTRAILERS: 0x20,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  ALLMULTI: 0x200,
  MASTER: 0x400,
  SLAVE: 0x800,
  MULTICAST: 0x1000,
  PORTSEL: 0x2000,
  AUTOMEDIA: 0x4000,
  DYNAMIC: 0x8000,
  LOWER_UP: 0x10000,
  DORMANT: 0x20000,
  ECHO: 0x40000,
};

/** RTNH_F_* bits by the names `ip` prints in a route's flags. */
const ROUTE_FLAG_BITS: Readonly<Record<string, number>> = {
  dead: 0x1,
  pervasive: 0x2,
  onlink: 0x4,
  offload: 0x8,
  linkdown: 0x10,
  unresolved: 0x20,
  trap: 0x40,
};

/** rtm_scope numbers by ip's names (`global` is RT_SCOPE_UNIVERSE). */
const SCOPES: Readonly<Record<string, number>> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};

/**
 * The kernel's ifi_flags of a link as far as `ip` shows them. ip never prints RUNNING; it prints
 * NO-CARRIER for a link that is UP but not RUNNING, so RUNNING is UP without NO-CARRIER.
 */
export function rawFlags(flags: readonly string[]): number {
  let bits = 0;
  for (const flag of flags) bits |= IFF_BITS[flag] ?? 0;
  if (flags.includes('UP') && !flags.includes('NO-CARRIER')) bits |= IFF_BITS.RUNNING!;
  return bits >>> 0;
}

function family(name: 'inet' | 'inet6'): types.IPFamily {
  return name === 'inet6' ? types.IPFamily.v6 : types.IPFamily.v4;
}

/** A link and its addresses as kata reports them; `mask` is the prefix length as text ("24"). */
export function toInterface(link: Link, addresses: readonly Address[]): types.Interface {
  return {
    device: link.name,
    name: link.name,
    IPAddresses: addresses
      .filter((address) => address.ifindex === link.index)
      .map((address) => ({
        family: family(address.family),
        address: address.local,
        mask: String(address.prefixlen),
      })),
    mtu: BigInt(link.mtu),
    hwAddr: link.address ?? '',
    devicePath: '',
    // The driver kind (veth, dummy, vxlan…); devices without one (lo, physical NICs) give ip's link type.
    type: link.kind ?? link.linkType ?? '',
    rawFlags: rawFlags(link.flags),
  };
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ip prints a route's mtu among its `metrics` (`ip route add … mtu 1400`). */
function routeMtu(route: Route): number {
  const metrics = route.raw.metrics;
  if (!Array.isArray(metrics)) return 0;
  for (const entry of metrics) {
    if (isObject(entry) && typeof entry.mtu === 'number') return entry.mtu;
  }
  return 0;
}

/** A route as kata reports it: the default route's dest is '' and every other dest is a CIDR. */
export function toRoute(route: Route): types.Route {
  const isDefault = route.dst === '0.0.0.0/0' || route.dst === '::/0';
  let flags = 0;
  for (const flag of route.flags) flags |= ROUTE_FLAG_BITS[flag] ?? 0;
  return {
    dest: isDefault ? '' : route.dst,
    gateway: route.gateway ?? '',
    device: route.dev ?? '',
    source: route.prefsrc ?? '',
    scope: SCOPES[route.scope] ?? (Number.parseInt(route.scope, 10) || 0),
    family: family(route.family),
    flags,
    mtu: routeMtu(route),
  };
}

/** Every interface of the namespace at `netns` (a path; undefined: the agent's own). */
export async function listInterfaces(netns: string | undefined): Promise<types.Interface[]> {
  const { links, addresses } = await listLinksAndAddresses({ netns });
  return links.map((link) => toInterface(link, addresses));
}

/** The IPv4 and IPv6 routes of the main table of the namespace at `netns`. */
export async function listAllRoutes(netns: string | undefined): Promise<types.Route[]> {
  const [v4, v6] = await Promise.all([
    listRoutes({ netns, family: 'inet' }),
    listRoutes({ netns, family: 'inet6' }),
  ]);
  return [...v4, ...v6].filter((route) => route.type === 'unicast').map(toRoute);
}
