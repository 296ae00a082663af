import { type Family, familyFlag } from './family';
import { iproute2Json } from './iproute2';
import { flag, isObject, type JsonObject, num, str } from './json';
import { type Link, toLink } from './links';
import type { NetopsOptions } from './options';

/** One address of `ip -json addr show`, flattened from its link's `addr_info`. */
export interface Address {
  readonly ifindex: number;
  readonly ifname: string;
  readonly family: Family;
  /** The address itself, e.g. `10.244.1.7`. */
  readonly local: string;
  readonly prefixlen: number;
  /** `local/prefixlen`, e.g. `10.244.1.7/24`. */
  readonly cidr: string;
  /** `global`, `link`, `host`. */
  readonly scope?: string;
  readonly label?: string;
  readonly broadcast?: string;
  /** Point-to-point peer (`peer` in `ip addr add ... peer`). */
  readonly peer?: string;
  readonly dynamic: boolean;
  readonly raw: JsonObject;
}

export interface ListAddressesOptions extends NetopsOptions {
  /** Only this link's addresses. */
  readonly dev?: string;
  /** Only this family; default both. */
  readonly family?: Family;
}

/** Addresses of the namespace in ip's order (by link, then as added). */
export async function listAddresses(options: ListAddressesOptions = {}): Promise<Address[]> {
  const args = options.family === undefined ? [] : [familyFlag(options.family)];
  args.push('addr', 'show');
  if (options.dev !== undefined) args.push('dev', options.dev);
  return flatten(await iproute2Json('ip', args, options), options.family);
}

/**
 * Every link of the namespace (as {@link listLinks}, with details) and every address (as
 * {@link listAddresses}, only `family` when given) from one `ip -json -details addr show`.
 */
export async function listLinksAndAddresses(
  options: NetopsOptions & { readonly family?: Family } = {},
): Promise<{ links: Link[]; addresses: Address[] }> {
  // No family flag: ip would leave out the links without an address of that family.
  const entries = await iproute2Json('ip', ['-details', 'addr', 'show'], options);
  return { links: entries.map(toLink), addresses: flatten(entries, options.family) };
}

function flatten(links: readonly JsonObject[], family: Family | undefined): Address[] {
  const addresses: Address[] = [];
  for (const link of links) {
    const infos = link.addr_info;
    if (!Array.isArray(infos)) continue;
    for (const info of infos) {
      if (!isObject(info)) continue;
      const address = toAddress(link, info);
      if (address !== undefined && (family === undefined || address.family === family))
        addresses.push(address);
    }
  }
  return addresses;
}

function toAddress(link: JsonObject, raw: JsonObject): Address | undefined {
  const family = str(raw, 'family');
  const local = str(raw, 'local');
  const prefixlen = num(raw, 'prefixlen');
  if ((family !== 'inet' && family !== 'inet6') || local === undefined || prefixlen === undefined) {
    return undefined;
  }
  return {
    ifindex: num(link, 'ifindex') ?? 0,
    ifname: str(link, 'ifname') ?? '',
    family,
    local,
    prefixlen,
    cidr: `${local}/${prefixlen}`,
    scope: str(raw, 'scope'),
    label: str(raw, 'label'),
    broadcast: str(raw, 'broadcast'),
    peer: str(raw, 'address'),
    dynamic: flag(raw, 'dynamic'),
    raw,
  };
}
