import {
  listAddresses,
  listRoutes,
  type NetopsOptions,
  type Route,
  subnetContaining,
} from '@peerpods/netops';

/**
 * The namespace's primary interface, as upstream picks it: the device of the IPv4 default route with
 * the lowest metric; among equals, the same name prefix with the lowest numeric suffix (eth0 < eth1).
 * Undefined when there is no default route.
 */
export async function primaryInterface(options: NetopsOptions = {}): Promise<string | undefined> {
  return primaryInterfaceOf(await listRoutes(options));
}

/** {@link primaryInterface} from the namespace's main-table IPv4 routes, already read. */
export function primaryInterfaceOf(routes: readonly Route[]): string | undefined {
  const defaults = routes.filter(
    (route) => route.dst === '0.0.0.0/0' && route.type === 'unicast' && route.dev !== undefined,
  );
  defaults.sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0) || compareNames(a.dev!, b.dev!));
  return defaults[0]?.dev;
}

function compareNames(a: string, b: string): number {
  const [, pa = a, na = ''] = /^(.*?)(\d*)$/.exec(a) ?? [];
  const [, pb = b, nb = ''] = /^(.*?)(\d*)$/.exec(b) ?? [];
  if (pa !== pb) return pa < pb ? -1 : 1;
  return (na === '' ? -1 : Number(na)) - (nb === '' ? -1 : Number(nb));
}

/** IPv4 addresses of `dev` in prefix form (`10.244.1.7/24`), in ip's order. */
export async function ipv4Addresses(dev: string, options: NetopsOptions = {}): Promise<string[]> {
  return (await listAddresses({ ...options, dev, family: 'inet' })).map((address) => address.cidr);
}

/** `10.244.1.7/24` → `10.244.1.7`. */
export function withoutPrefix(cidr: string): string {
  return cidr.split('/')[0]!;
}

/** `10.244.1.7/24` → `10.244.1.0/24`. */
export function subnetOf(cidr: string): string {
  return subnetContaining(cidr.includes('/') ? cidr : `${cidr}/32`).cidr;
}
