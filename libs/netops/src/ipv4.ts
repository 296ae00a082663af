import ipaddr from 'ipaddr.js';

/**
 * IPv4 addresses and subnets as numbers, for allocating and comparing them. Parsing is ipaddr.js's
 * (a maintained parser), limited to the plain dotted quad: ip and the kernel print nothing else, and
 * forms like `10.1` or `0x0a.0.0.1` in a flag are more likely typos than intent.
 */
export interface Ipv4Subnet {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
  /** `10.199.0.0/24`. */
  readonly cidr: string;
}

/** `a.b.c.d` → its number; undefined for anything else. */
export function parseIpv4(text: string): number | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text)
    .toByteArray()
    .reduce((value, byte) => value * 256 + byte, 0);
}

export function formatIpv4(value: number): string {
  return ipaddr.fromByteArray([24, 16, 8, 0].map((shift) => (value >>> shift) & 255)).toString();
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

function splitCidr(text: string): { address: number; prefixLength: number } | undefined {
  const [address = '', prefix, ...rest] = text.split('/');
  const value = parseIpv4(address);
  if (value === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefix ?? '') || Number(prefix) > 32) {
    return undefined;
  }
  return { address: value, prefixLength: Number(prefix) };
}

function subnet(network: number, prefixLength: number): Ipv4Subnet {
  return { network, prefixLength, cidr: `${formatIpv4(network)}/${prefixLength}` };
}

/** Parses `a.b.c.d/n`; the host bits must be zero, so a typo is not silently widened. */
export function parseIpv4Subnet(text: string): Ipv4Subnet {
  const parsed = splitCidr(text);
  if (parsed === undefined)
    throw new Error(`invalid IPv4 subnet ${JSON.stringify(text)}: expected a.b.c.d/n`);
  const network = (parsed.address & maskOf(parsed.prefixLength)) >>> 0;
  if (network !== parsed.address) {
    throw new Error(
      `invalid IPv4 subnet ${text}: host bits are set (did you mean ${formatIpv4(network)}/${parsed.prefixLength}?)`,
    );
  }
  return subnet(network, parsed.prefixLength);
}

/** The subnet of an address in prefix form, host bits dropped: `10.1.2.3/8` → `10.0.0.0/8`. */
export function subnetContaining(cidr: string): Ipv4Subnet {
  const parsed = splitCidr(cidr);
  if (parsed === undefined)
    throw new Error(`invalid IPv4 address ${JSON.stringify(cidr)}: expected a.b.c.d/n`);
  return subnet((parsed.address & maskOf(parsed.prefixLength)) >>> 0, parsed.prefixLength);
}

/** The last address of the subnet. */
export function broadcastOf(range: Ipv4Subnet): number {
  return (range.network | ~maskOf(range.prefixLength)) >>> 0;
}

/** Usable host addresses: the network and broadcast addresses excluded (a /24 has 254). */
export function hostCount(range: Ipv4Subnet): number {
  return Math.max(0, 2 ** (32 - range.prefixLength) - 2);
}

/** The n-th usable address, n from 1. */
export function hostAddress(range: Ipv4Subnet, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > hostCount(range)) {
    throw new RangeError(`host ${n} is outside ${range.cidr}`);
  }
  return formatIpv4(range.network + n);
}

/** Whether two subnets share any address. */
export function overlaps(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const mask = maskOf(Math.min(a.prefixLength, b.prefixLength));
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}
