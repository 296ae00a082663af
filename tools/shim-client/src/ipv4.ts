/** The pod subnet's rules (on netops' IPv4 arithmetic) and the CNI-style MAC. */
import {
  broadcastOf,
  formatIpv4,
  type Ipv4Subnet as Ipv4Range,
  parseIpv4 as parseDottedQuad,
  subnetContaining,
} from '@peerpods/netops';

/** The pod subnet, with the two addresses no pod gets. */
export interface Ipv4Subnet extends Ipv4Range {
  /** Broadcast address (the last of the subnet). */
  readonly broadcast: number;
  /** The first host address, which the bridge holds as the gateway. */
  readonly gateway: number;
}

export { formatIpv4 };

/** `a.b.c.d` → its number; throws naming the text otherwise. */
export function parseIpv4(text: string): number {
  const value = parseDottedQuad(text);
  if (value === undefined) throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return value;
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
  const range = subnetContaining(cidr);
  if (range.network !== address) {
    throw new TypeError(
      `subnet ${cidr}: ${match[1]} is not the network address (${formatIpv4(range.network)})`,
    );
  }
  return { ...range, cidr, broadcast: broadcastOf(range), gateway: range.network + 1 };
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
