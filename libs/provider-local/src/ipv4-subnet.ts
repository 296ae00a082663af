/** An IPv4 subnet in prefix form, with the arithmetic the local provider needs. */
export interface Ipv4Subnet {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
  /** `10.199.0.0/24`. */
  readonly cidr: string;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const match = DOTTED_QUAD.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((value, octet) => value * 256 + octet, 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses `a.b.c.d/n`; the host bits must be zero, so a typo is not silently widened. */
export function parseIpv4Subnet(text: string): Ipv4Subnet {
  const [address = '', prefix, ...rest] = text.split('/');
  const value = parseIpv4(address);
  const prefixLength = Number(prefix);
  if (value === undefined || rest.length > 0 || !/^\d{1,2}$/.test(prefix ?? '') || prefixLength > 32) {
    throw new Error(`invalid IPv4 subnet ${JSON.stringify(text)}: expected a.b.c.d/n`);
  }
  const network = (value & maskOf(prefixLength)) >>> 0;
  if (network !== value) {
    throw new Error(
      `invalid IPv4 subnet ${text}: host bits are set (did you mean ${formatIpv4(network)}/${prefixLength}?)`,
    );
  }
  return { network, prefixLength, cidr: `${formatIpv4(network)}/${prefixLength}` };
}

/** The subnet of an address in prefix form, host bits dropped: `10.1.2.3/8` → `10.0.0.0/8`. */
export function subnetContaining(cidr: string): Ipv4Subnet {
  const [address = '', prefix = '32'] = cidr.split('/');
  const value = parseIpv4(address);
  if (value === undefined) throw new Error(`invalid IPv4 address ${JSON.stringify(cidr)}`);
  return parseIpv4Subnet(`${formatIpv4((value & maskOf(Number(prefix))) >>> 0)}/${prefix}`);
}

/** Usable host addresses: the network and broadcast addresses excluded (a /24 has 254). */
export function hostCount(subnet: Ipv4Subnet): number {
  return Math.max(0, 2 ** (32 - subnet.prefixLength) - 2);
}

/** The n-th usable address, n from 1. */
export function hostAddress(subnet: Ipv4Subnet, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > hostCount(subnet)) {
    throw new RangeError(`host ${n} is outside ${subnet.cidr}`);
  }
  return formatIpv4(subnet.network + n);
}

/** Whether two subnets share any address. */
export function overlaps(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const shorter = Math.min(a.prefixLength, b.prefixLength);
  const mask = maskOf(shorter);
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}
