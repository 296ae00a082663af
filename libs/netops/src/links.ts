import { NetopsCommandError } from './errors';
import { iproute2Json } from './iproute2';
import { bool, type JsonObject, num, obj, str, strings } from './json';
import type { NetopsOptions } from './options';

/** The `info_data` of a VXLAN link (`ip -details`). */
export interface VxlanInfo {
  /** The VNI. */
  readonly id: number;
  /** Unicast remote (`remote` or `remote6`). */
  readonly remote?: string;
  readonly local?: string;
  /** Multicast group, when there is one instead of a remote. */
  readonly group?: string;
  /** UDP destination port (`dstport`). */
  readonly port?: number;
  /**
   * Underlay device name as `ip` resolves it. After the link moved to another namespace this is the
   * name of whatever has the same ifindex *here*, so trust it only where the link was created.
   */
  readonly device?: string;
  readonly learning?: boolean;
  readonly ttl?: number;
}

/** One link of `ip -json -details link show`. */
export interface Link {
  readonly index: number;
  readonly name: string;
  /** `UP`, `LOWER_UP`, `NO-CARRIER`, `BROADCAST`... */
  readonly flags: readonly string[];
  /** Administratively up (the `UP` flag). */
  readonly up: boolean;
  readonly mtu: number;
  /** `UP`, `DOWN`, `UNKNOWN` (VXLAN and loopback say UNKNOWN when up). */
  readonly operState?: string;
  /** `ether`, `loopback`, `none`... */
  readonly linkType?: string;
  /** MAC address. */
  readonly address?: string;
  readonly master?: string;
  /** veth peer or lower device, by name, when it is in the same namespace. */
  readonly parent?: string;
  /** Its ifindex (in the namespace named by `linkNetnsId` when that is set). */
  readonly parentIndex?: number;
  /** Set when `parentIndex` belongs to another namespace. */
  readonly linkNetnsId?: number;
  /** `linkinfo.info_kind`: `veth`, `vxlan`, `bridge`...; absent for physical devices and lo. */
  readonly kind?: string;
  readonly vxlan?: VxlanInfo;
  /** Everything ip printed, for what the fields above leave out. */
  readonly raw: JsonObject;
}

/** All links of the namespace, with details. */
export async function listLinks(options: NetopsOptions = {}): Promise<Link[]> {
  return (await iproute2Json('ip', ['-details', 'link', 'show'], options)).map(toLink);
}

/** One link by name, or undefined when there is none. */
export async function getLink(name: string, options: NetopsOptions = {}): Promise<Link | undefined> {
  try {
    const [link] = await iproute2Json('ip', ['-details', 'link', 'show', 'dev', name], options);
    return link === undefined ? undefined : toLink(link);
  } catch (error) {
    if (error instanceof NetopsCommandError && /does not exist/.test(error.stderr)) return undefined;
    throw error;
  }
}

/** A Link from one entry of `ip -json -details link show` (or `addr show`, which has the same fields). */
export function toLink(raw: JsonObject): Link {
  const flags = strings(raw, 'flags');
  const info = obj(raw, 'linkinfo');
  const kind = info === undefined ? undefined : str(info, 'info_kind');
  const data = info === undefined ? undefined : obj(info, 'info_data');
  return {
    index: num(raw, 'ifindex') ?? 0,
    name: str(raw, 'ifname') ?? '',
    flags,
    up: flags.includes('UP'),
    mtu: num(raw, 'mtu') ?? 0,
    operState: str(raw, 'operstate'),
    linkType: str(raw, 'link_type'),
    address: str(raw, 'address'),
    master: str(raw, 'master'),
    parent: str(raw, 'link'),
    parentIndex: num(raw, 'link_index'),
    linkNetnsId: num(raw, 'link_netnsid'),
    kind,
    vxlan: kind === 'vxlan' && data !== undefined ? toVxlan(data) : undefined,
    raw,
  };
}

function toVxlan(data: JsonObject): VxlanInfo {
  return {
    id: num(data, 'id') ?? 0,
    remote: str(data, 'remote') ?? str(data, 'remote6'),
    local: str(data, 'local') ?? str(data, 'local6'),
    group: str(data, 'group') ?? str(data, 'group6'),
    port: num(data, 'port'),
    device: str(data, 'link'),
    learning: bool(data, 'learning'),
    ttl: num(data, 'ttl'),
  };
}
