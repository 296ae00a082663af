import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  createNetns,
  deleteNetns,
  getLink,
  ipBatch,
  NetopsCommandError,
  namedNetnsPath,
  netnsExists,
  netnsMoveRef,
} from '@peerpods/netops';
import { checkRequestedAddress, IpReservations } from './ipam';
import { formatIpv4, macFromIpv4, normaliseMac, parseIpv4, parseSubnet } from './ipv4';

export const DEFAULT_BRIDGE = 'cni0';
export const DEFAULT_SUBNET = '10.244.0.0/24';
export const DEFAULT_IPAM_DIR = '/run/peerpod-shim/ipam';
export const DEFAULT_MTU = 1500;
/** The pod's interface, as the CNI bridge plugin names it. */
export const POD_INTERFACE = 'eth0';

export interface CreatePodNetworkOptions {
  /** Name of the pod netns to create: `/run/netns/<name>`. */
  name: string;
  /** Path of the worker's netns, where the bridge lives (e.g. `/run/netns/x`); default: this process's own. */
  workerNetns?: string;
  /** Default `cni0`. */
  bridge?: string;
  /** Default `10.244.0.0/24`; the gateway is its first host address, held by the bridge. */
  subnet?: string;
  /** The pod's address; default: the lowest free one of the subnet. */
  ip?: string;
  /** The pod's MAC; default `0a:58:<ip bytes>` as the CNI bridge plugin derives it. */
  mac?: string;
  /** Default 1500, both veth ends. */
  mtu?: number;
  /** Where addresses are reserved; default `/run/peerpod-shim/ipam`. */
  ipamDir?: string;
}

/** What createPodNetwork made; everything deletePodNetwork needs. Plain data (saved as JSON). */
export interface PodNetworkHandle {
  /** Netns name. */
  name: string;
  /** `/run/netns/<name>`: what kata passes as CreateVM's networkNamespacePath. */
  path: string;
  ip: string;
  prefixLength: number;
  mac: string;
  gateway: string;
  mtu: number;
  /** The veth end attached to the bridge, in the worker netns. */
  hostVeth: string;
  bridge: string;
  /** Absent: the creating process's own netns. */
  workerNetns?: string;
  ipamDir: string;
}

/** A failed createPodNetwork; `step` names where (netns, ipam, bridge, veth, pod interface). */
export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
  constructor(
    readonly netnsName: string,
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(
      `creating pod network ${netnsName}: ${step}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

/**
 * The worker end of the pod's veth: `veth` + 8 hex of a hash of the netns name, so a delete that only
 * knows the name finds it (the CNI plugin uses random hex; the kernel allows 15 characters).
 */
export function hostVethName(netnsName: string): string {
  return `veth${createHash('sha256').update(netnsName).digest('hex').slice(0, 8)}`;
}

/**
 * What a CNI bridge plugin does before kata's CreateVM: a named netns with `eth0` (address, MAC, MTU,
 * default route via the gateway), the other veth end on a bridge in the worker netns (made, with the
 * gateway address, when absent). Four processes: `ip netns add`, one read, one batch per namespace.
 * On any failure everything made so far is removed and a {@link PodNetworkError} names the step.
 */
export async function createPodNetwork(options: CreatePodNetworkOptions): Promise<PodNetworkHandle> {
  const { name } = options;
  const bridge = options.bridge ?? DEFAULT_BRIDGE;
  const ipamDir = options.ipamDir ?? DEFAULT_IPAM_DIR;
  const mtu = options.mtu ?? DEFAULT_MTU;
  const fail = (step: string, cause: unknown): never => {
    throw new PodNetworkError(name, step, cause);
  };
  // Input first: nothing is made for a request that cannot work.
  if (!NAME.test(name)) fail('options', new TypeError(`invalid netns name ${JSON.stringify(name)}`));
  if (!LINK_NAME.test(bridge))
    fail('options', new TypeError(`invalid bridge name ${JSON.stringify(bridge)}`));
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    fail('options', new TypeError(`MTU ${mtu} is not 68…65535`));
  }
  let subnet!: ReturnType<typeof parseSubnet>;
  let requestedIp: string | undefined;
  let requestedMac: string | undefined;
  try {
    subnet = parseSubnet(options.subnet ?? DEFAULT_SUBNET);
    requestedIp = options.ip === undefined ? undefined : checkRequestedAddress(subnet, options.ip);
    requestedMac = options.mac === undefined ? undefined : normaliseMac(options.mac);
  } catch (error) {
    fail('options', error);
  }
  const worker = options.workerNetns === undefined ? {} : { netns: options.workerNetns };
  if (options.workerNetns !== undefined && !(await netnsExists(options.workerNetns))) {
    fail('worker netns', new Error(`network namespace ${options.workerNetns} does not exist`));
  }
  const gateway = formatIpv4(subnet.gateway);
  const hostVeth = hostVethName(name);
  const path = namedNetnsPath(name);
  const ipam = new IpReservations(ipamDir, bridge);

  let madeNetns = false;
  let reserved: string | undefined;
  let madeVeth = false;
  const undo = async (): Promise<void> => {
    if (madeVeth) await deleteLinkIfPresent(hostVeth, worker).catch(() => {});
    if (madeNetns) await deleteNetns(name, { ifExists: true }).catch(() => {});
    if (reserved !== undefined) await ipam.release(reserved, name).catch(() => {});
  };
  let step = 'netns';
  try {
    if (await netnsExists(path)) throw new Error(`${path} already exists`);
    await createNetns(name);
    madeNetns = true;

    step = 'ipam';
    if (requestedIp !== undefined) {
      await ipam.reserve(requestedIp, name);
      reserved = requestedIp;
    } else {
      reserved = await ipam.reserveLowest(subnet, name);
    }
    const ip = reserved;
    const mac = requestedMac ?? macFromIpv4(parseIpv4(ip));

    step = 'bridge';
    const existing = await getLink(bridge, worker);
    if (existing !== undefined && existing.kind !== 'bridge') {
      throw new Error(
        `${bridge} exists in the worker netns but is a ${existing.kind ?? existing.linkType} link`,
      );
    }
    const bridgeLines = [
      `addr replace ${gateway}/${subnet.prefixLength} dev ${bridge}`,
      `link set ${bridge} up`,
    ];
    const vethLines = [
      `link add ${hostVeth} mtu ${mtu} type veth peer name ${POD_INTERFACE} mtu ${mtu} address ${mac} netns ${netnsMoveRef(path)}`,
      `link set ${hostVeth} master ${bridge} up`,
    ];
    step = 'bridge and veth';
    try {
      if (existing === undefined) {
        await ipBatch([`link add name ${bridge} type bridge`, ...bridgeLines, ...vethLines], worker);
      } else {
        await ipBatch([...bridgeLines, ...vethLines], worker);
      }
    } catch (error) {
      // Another creator made the bridge between our read and our batch: go on without making it.
      if (
        !(existing === undefined && error instanceof NetopsCommandError && error.failedLine?.number === 1)
      ) {
        throw error;
      }
      await ipBatch([...bridgeLines, ...vethLines], worker);
    }
    madeVeth = true;

    step = 'pod interface';
    await ipBatch(
      [
        'link set lo up',
        `addr add ${ip}/${subnet.prefixLength} dev ${POD_INTERFACE}`,
        `link set ${POD_INTERFACE} up`,
        `route add default via ${gateway} dev ${POD_INTERFACE}`,
      ],
      { netns: path },
    );
    return {
      name,
      path,
      ip,
      prefixLength: subnet.prefixLength,
      mac,
      gateway,
      mtu,
      hostVeth,
      bridge,
      ...(options.workerNetns === undefined ? {} : { workerNetns: options.workerNetns }),
      ipamDir,
    };
  } catch (error) {
    // A link add that failed half-way may still have made the veth: look for it whatever happened.
    if (step === 'bridge and veth') madeVeth = true;
    await undo();
    throw new PodNetworkError(name, step, error);
  }
}

export interface DeletePodNetworkOptions {
  name: string;
  workerNetns?: string;
  bridge?: string;
  ipamDir?: string;
  /** Default: derived from the name, as createPodNetwork names it. */
  hostVeth?: string;
  /** The reserved address; default: every reservation on the bridge held by this netns name. */
  ip?: string;
}

/**
 * Deletes the host veth (the pod end goes with it), the netns and the address reservation. Idempotent:
 * whatever is already gone is skipped. The veth is deleted explicitly because the kernel destroys a
 * deleted netns's links asynchronously, and a caller may look at the bridge right after.
 */
export async function deletePodNetwork(target: PodNetworkHandle | DeletePodNetworkOptions): Promise<void> {
  const { name } = target;
  if (!NAME.test(name)) throw new TypeError(`invalid netns name ${JSON.stringify(name)}`);
  const worker = target.workerNetns === undefined ? {} : { netns: target.workerNetns };
  const errors: string[] = [];
  const workerAlive = target.workerNetns === undefined || (await netnsExists(target.workerNetns));
  if (workerAlive) {
    await deleteLinkIfPresent(target.hostVeth ?? hostVethName(name), worker).catch((error: Error) => {
      errors.push(`veth: ${error.message}`);
    });
  }
  await deleteNetns(name, { ifExists: true }).catch((error: Error) => {
    errors.push(`netns: ${error.message}`);
  });
  const ipam = new IpReservations(target.ipamDir ?? DEFAULT_IPAM_DIR, target.bridge ?? DEFAULT_BRIDGE);
  try {
    if (target.ip !== undefined) await ipam.release(target.ip, name);
    else await ipam.releaseOwner(name);
  } catch (error) {
    errors.push(`reservation: ${(error as Error).message}`);
  }
  if (errors.length > 0) throw new Error(`deleting pod network ${name}: ${errors.join('; ')}`);
}

/** Deletes the bridge from the worker netns if it is there (test and demo clean-up). */
export async function deleteBridge(options: { workerNetns?: string; bridge?: string } = {}): Promise<void> {
  const worker = options.workerNetns === undefined ? {} : { netns: options.workerNetns };
  await deleteLinkIfPresent(options.bridge ?? DEFAULT_BRIDGE, worker);
}

/** The netns names holding reservations on a bridge (for leak checks). */
export async function reservationsOf(ipamDir: string, bridge: string): Promise<Record<string, string>> {
  const ipam = new IpReservations(ipamDir, bridge);
  const result: Record<string, string> = {};
  for (const address of await ipam.list()) {
    result[address] = (await readFile(ipam.pathOf(address), 'utf8').catch(() => '')).trim();
  }
  return result;
}

async function deleteLinkIfPresent(link: string, options: { netns?: string }): Promise<void> {
  try {
    await ipBatch([`link del ${link}`], options);
  } catch (error) {
    if (error instanceof NetopsCommandError && /Cannot find device|does not exist/.test(error.stderr)) return;
    throw error;
  }
}
