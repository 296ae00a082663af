import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIpv4, type Ipv4Subnet, isPodAddress, parseIpv4 } from './ipv4';

/**
 * Host-local IP allocation, as the CNI host-local plugin does it: one file per address under
 * `<dir>/<bridge>/<ip>`, created with O_EXCL so that exactly one process wins an address, holding the
 * owner's name. Nothing is cached in memory, so any number of processes can allocate at once.
 */
export class IpReservations {
  readonly dir: string;

  constructor(ipamDir: string, bridge: string) {
    this.dir = join(ipamDir, bridge);
  }

  pathOf(address: string): string {
    return join(this.dir, address);
  }

  /** Reserves `address` for `owner`; throws naming the holder when someone has it already. */
  async reserve(address: string, owner: string): Promise<void> {
    if (!(await this.tryReserve(address, owner))) {
      const holder = await readFile(this.pathOf(address), 'utf8').catch(() => 'someone else');
      throw new Error(`${address} is already taken (held by ${holder.trim() || 'an unnamed owner'})`);
    }
  }

  /** Reserves the lowest free pod address of the subnet for `owner`. */
  async reserveLowest(subnet: Ipv4Subnet, owner: string): Promise<string> {
    const taken = new Set(await this.list());
    for (let address = subnet.gateway + 1; address < subnet.broadcast; address++) {
      const text = formatIpv4(address);
      if (taken.has(text)) continue;
      // Another process may have won it since the listing: O_EXCL decides, and we try the next.
      if (await this.tryReserve(text, owner)) return text;
    }
    throw new Error(`no free address left in ${subnet.cidr} (${this.dir} holds ${taken.size})`);
  }

  /** Removes the reservation of `address` if `owner` (when given) holds it. Idempotent. */
  async release(address: string, owner?: string): Promise<void> {
    if (owner !== undefined) {
      const holder = await readFile(this.pathOf(address), 'utf8').catch(() => undefined);
      if (holder === undefined || holder.trim() !== owner) return;
    }
    await rm(this.pathOf(address), { force: true });
  }

  /** Removes every reservation held by `owner`; returns the addresses released. */
  async releaseOwner(owner: string): Promise<string[]> {
    const released: string[] = [];
    for (const address of await this.list()) {
      const holder = await readFile(this.pathOf(address), 'utf8').catch(() => undefined);
      if (holder?.trim() === owner) {
        await rm(this.pathOf(address), { force: true });
        released.push(address);
      }
    }
    return released;
  }

  /** The reserved addresses (file names that are IPv4 addresses). */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => isIpv4Text(name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private async tryReserve(address: string, owner: string): Promise<boolean> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.pathOf(address), 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await handle.writeFile(owner);
    } finally {
      await handle.close();
    }
    return true;
  }
}

function isIpv4Text(name: string): boolean {
  try {
    parseIpv4(name);
    return true;
  } catch {
    return false;
  }
}

/** Checks a requested pod address against the subnet; returns it normalised. */
export function checkRequestedAddress(subnet: Ipv4Subnet, text: string): string {
  const address = parseIpv4(text);
  if (!isPodAddress(subnet, address)) {
    throw new TypeError(
      `${text} cannot be a pod address in ${subnet.cidr} (outside it, or its network, gateway or broadcast address)`,
    );
  }
  return formatIpv4(address);
}
