/** IPv4 arithmetic for the pod subnet: parse, format, host range, CNI-style MAC. */

export interface Ipv4Subnet {
  /** Network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
  /** Broadcast address (the last of the subnet). */
  readonly broadcast: number;
  /** The first host address, which the bridge holds as the gateway. */
  readonly gateway: number;
  /** `10.244.0.0/24`. */
  readonly cidr: string;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
    throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** `10.244.0.0/24` → the subnet; the address must be the network address, the prefix 8…30. */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new TypeError(`not an IPv4 subnet (a.b.c.d/prefix): ${JSON.stringify(cidr)}`);
  const address = parseIpv4(match[1]!);
  const prefixLength = Number(match[2]);
  if (prefixLength < 8 || prefixLength > 30) {
    throw new TypeError(`subnet ${cidr}: the prefix length must be 8 to 30 (room for a gateway and pods)`);
  }
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    throw new TypeError(`subnet ${cidr}: ${match[1]} is not the network address (${formatIpv4(network)})`);
  }
  return { network, prefixLength, broadcast: network + size - 1, gateway: network + 1, cidr };
}

/** Whether `address` may be given to a pod: inside the subnet, not network, gateway or broadcast. */
export function isPodAddress(subnet: Ipv4Subnet, address: number): boolean {
  return address > subnet.gateway && address < subnet.broadcast;
}

/** What the CNI bridge plugin derives from an IPv4 address: `0a:58:` and the four address bytes. */
export function macFromIpv4(address: number): string {
  const bytes = [0x0a, 0x58, address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** A unicast MAC in `xx:xx:xx:xx:xx:xx` form, lower-cased; throws naming the value otherwise. */
export function normaliseMac(text: string): string {
  if (!MAC.test(text)) throw new TypeError(`not a MAC address (xx:xx:xx:xx:xx:xx): ${JSON.stringify(text)}`);
  if (Number.parseInt(text.slice(0, 2), 16) & 1) {
    throw new TypeError(`${text} is a multicast MAC address; a pod needs a unicast one`);
  }
  return text.toLowerCase();
}
