import type { Duplex } from 'node:stream';
import { RpcConnection } from './connection';
import { dial } from './dial';
import { ErrorCode, LibvirtError } from './errors';
import { type ParsedUri, parseLibvirtUri } from './uri';
import { XdrReader, XdrWriter } from './xdr';

/** Procedure numbers of remote_protocol.x that this client calls. */
const Proc = {
  ConnectOpen: 1,
  ConnectClose: 2,
  ConnectGetVersion: 4,
  ConnectGetCapabilities: 7,
  DomainCreate: 9,
  DomainDefineXml: 11,
  DomainDestroy: 12,
  DomainGetXmlDesc: 14,
  DomainLookupByName: 23,
  DomainLookupByUuid: 24,
  DomainUndefine: 35,
  NetworkCreateXml: 40,
  NetworkDestroy: 42,
  NetworkLookupByName: 46,
  AuthList: 66,
  StoragePoolCreateXml: 76,
  StoragePoolDestroy: 80,
  StoragePoolRefresh: 83,
  StoragePoolLookupByName: 84,
  StorageVolCreateXml: 93,
  StorageVolDelete: 94,
  StorageVolLookupByName: 95,
  StorageVolLookupByPath: 97,
  StorageVolGetInfo: 98,
  StorageVolGetXmlDesc: 99,
  StorageVolGetPath: 100,
  ConnectGetLibVersion: 157,
  StorageVolUpload: 208,
  DomainGetState: 212,
  DomainUndefineFlags: 231,
  ConnectListAllDomains: 273,
  StoragePoolListAllVolumes: 282,
  DomainInterfaceAddresses: 353,
} as const;

const STRING_MAX = 4 * 1024 * 1024;
const LIST_MAX = 16384;
const INTERFACE_MAX = 2048;

export interface Domain {
  name: string;
  /** 16 bytes. */
  uuid: Buffer;
  /** -1 when not running. */
  id: number;
}

export interface StoragePool {
  name: string;
  uuid: Buffer;
}

export interface StorageVolume {
  pool: string;
  name: string;
  /** The volume's key: its path for directory pools. */
  key: string;
}

export interface Network {
  name: string;
  uuid: Buffer;
}

export interface InterfaceAddresses {
  name: string;
  mac: string | null;
  addresses: { type: 'ipv4' | 'ipv6'; address: string; prefix: number }[];
}

/** virDomainState. */
export enum DomainState {
  NoState = 0,
  Running = 1,
  Blocked = 2,
  Paused = 3,
  Shutdown = 4,
  Shutoff = 5,
  Crashed = 6,
  PmSuspended = 7,
}

export const UndefineFlags = { ManagedSave: 1, SnapshotsMetadata: 2, Nvram: 4 } as const;
export const AddressSource = { Lease: 0, Agent: 1, Arp: 2 } as const;
export const DomainXmlFlags = { Secure: 1, Inactive: 2 } as const;

/** `uuid` as libvirt prints it: 8-4-4-4-12 hex. */
export function formatUuid(uuid: Buffer): string {
  const hex = uuid.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function parseUuid(text: string): Buffer {
  const hex = text.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`invalid UUID ${JSON.stringify(text)}`);
  return Buffer.from(hex, 'hex');
}

const readDomain = (reader: XdrReader): Domain => ({
  name: reader.string(STRING_MAX, 'domain name'),
  uuid: Buffer.from(reader.fixedOpaque(16)),
  id: reader.int(),
});
const readPool = (reader: XdrReader): StoragePool => ({
  name: reader.string(STRING_MAX, 'pool name'),
  uuid: Buffer.from(reader.fixedOpaque(16)),
});
const readVolume = (reader: XdrReader): StorageVolume => ({
  pool: reader.string(STRING_MAX, 'pool name'),
  name: reader.string(STRING_MAX, 'volume name'),
  key: reader.string(STRING_MAX, 'volume key'),
});
const readNetwork = (reader: XdrReader): Network => ({
  name: reader.string(STRING_MAX, 'network name'),
  uuid: Buffer.from(reader.fixedOpaque(16)),
});
const writeDomain = (writer: XdrWriter, domain: Domain) =>
  writer.string(domain.name).fixedOpaque(domain.uuid).int(domain.id);
const writePool = (writer: XdrWriter, pool: StoragePool) => writer.string(pool.name).fixedOpaque(pool.uuid);
const writeVolume = (writer: XdrWriter, volume: StorageVolume) =>
  writer.string(volume.pool).string(volume.name).string(volume.key);
const writeNetwork = (writer: XdrWriter, network: Network) =>
  writer.string(network.name).fixedOpaque(network.uuid);

/** Whether an error is libvirt's "no such object" for the given code (NoDomain, NoStorageVol, ...). */
export function isLibvirtError(error: unknown, code: number): error is LibvirtError {
  return error instanceof LibvirtError && error.code === code;
}

/** Told of each RPC the client made (procedure name as libvirt's protocol file spells it). */
export type RpcCallObserver = (call: { procedure: string; ok: boolean; seconds: number }) => void;

/**
 * An open libvirt connection and the calls a peer-pods provider makes: domains, storage pools and
 * volumes (with uploads), networks, and interface addresses. Calls may run concurrently.
 */
export class LibvirtClient {
  private constructor(
    private readonly rpc: RpcConnection,
    readonly uri: string,
    private readonly onCall?: RpcCallObserver,
  ) {}

  /** Connects to the daemon the URI names and opens its driver (`qemu:///system`, `test:///default`). */
  static async connect(
    uri: string,
    signal?: AbortSignal,
    options: { onCall?: RpcCallObserver } = {},
  ): Promise<LibvirtClient> {
    const parsed: ParsedUri = parseLibvirtUri(uri);
    const stream: Duplex = await dial(parsed, signal);
    const client = new LibvirtClient(new RpcConnection(stream), uri, options.onCall);
    try {
      // The daemon refuses CONNECT_OPEN until the client has asked which authentication it wants.
      const auth = new XdrReader(await client.call(Proc.AuthList, 'AUTH_LIST', new XdrWriter(), signal));
      const types = auth.array(20, 'auth types', (reader) => reader.int());
      if (types.length > 0 && !types.includes(0)) {
        throw new LibvirtError(
          `libvirt at ${uri} wants authentication (types ${types.join(', ')}); only unauthenticated unix sockets are supported`,
          45,
          0,
          'AUTH_LIST',
        );
      }
      await client.call(
        Proc.ConnectOpen,
        'CONNECT_OPEN',
        new XdrWriter().optionalString(parsed.remoteName).uint(0),
        signal,
      );
      return client;
    } catch (error) {
      client.rpc.close();
      throw error;
    }
  }

  private call(procedure: number, name: string, args: XdrWriter, signal?: AbortSignal): Promise<Buffer> {
    const answer = this.rpc.call(procedure, name, args.bytes(), signal);
    const { onCall } = this;
    if (!onCall) return answer;
    const began = performance.now();
    const report = (ok: boolean) =>
      onCall({ procedure: name, ok, seconds: (performance.now() - began) / 1000 });
    return answer.then(
      (result) => {
        report(true);
        return result;
      },
      (error: unknown) => {
        report(false);
        throw error;
      },
    );
  }

  private async read<T>(
    procedure: number,
    name: string,
    args: XdrWriter,
    parse: (reader: XdrReader) => T,
    signal?: AbortSignal,
  ): Promise<T> {
    return parse(new XdrReader(await this.call(procedure, name, args, signal)));
  }

  /** CONNECT_CLOSE, then the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.rpc.closed) return;
    try {
      await this.call(Proc.ConnectClose, 'CONNECT_CLOSE', new XdrWriter());
    } catch {
      // closing anyway
    }
    this.rpc.close();
  }

  get closed(): boolean {
    return this.rpc.closed;
  }

  /** The hypervisor's version as major*1e6 + minor*1e3 + release. */
  version(): Promise<bigint> {
    return this.read(Proc.ConnectGetVersion, 'CONNECT_GET_VERSION', new XdrWriter(), (r) => r.uhyper());
  }

  libraryVersion(): Promise<bigint> {
    return this.read(Proc.ConnectGetLibVersion, 'CONNECT_GET_LIB_VERSION', new XdrWriter(), (r) =>
      r.uhyper(),
    );
  }

  capabilities(): Promise<string> {
    return this.read(Proc.ConnectGetCapabilities, 'CONNECT_GET_CAPABILITIES', new XdrWriter(), (r) =>
      r.string(STRING_MAX),
    );
  }

  // --- domains

  /** Every domain, running or defined. `flags`: virConnectListAllDomainsFlags (0: all). */
  listAllDomains(flags = 0, signal?: AbortSignal): Promise<Domain[]> {
    return this.read(
      Proc.ConnectListAllDomains,
      'CONNECT_LIST_ALL_DOMAINS',
      new XdrWriter().int(1).uint(flags),
      (r) => r.array(LIST_MAX, 'domains', readDomain),
      signal,
    );
  }

  lookupDomainByName(name: string, signal?: AbortSignal): Promise<Domain> {
    return this.read(
      Proc.DomainLookupByName,
      'DOMAIN_LOOKUP_BY_NAME',
      new XdrWriter().string(name),
      readDomain,
      signal,
    );
  }

  lookupDomainByUuid(uuid: Buffer, signal?: AbortSignal): Promise<Domain> {
    return this.read(
      Proc.DomainLookupByUuid,
      'DOMAIN_LOOKUP_BY_UUID',
      new XdrWriter().fixedOpaque(uuid),
      readDomain,
      signal,
    );
  }

  defineDomain(xml: string, signal?: AbortSignal): Promise<Domain> {
    return this.read(
      Proc.DomainDefineXml,
      'DOMAIN_DEFINE_XML',
      new XdrWriter().string(xml),
      readDomain,
      signal,
    );
  }

  async startDomain(domain: Domain, signal?: AbortSignal): Promise<void> {
    await this.call(Proc.DomainCreate, 'DOMAIN_CREATE', writeDomain(new XdrWriter(), domain), signal);
  }

  async destroyDomain(domain: Domain, signal?: AbortSignal): Promise<void> {
    await this.call(Proc.DomainDestroy, 'DOMAIN_DESTROY', writeDomain(new XdrWriter(), domain), signal);
  }

  /** DOMAIN_UNDEFINE_FLAGS; a daemon too old for flags gets the plain DOMAIN_UNDEFINE. */
  async undefineDomain(domain: Domain, flags = 0, signal?: AbortSignal): Promise<void> {
    await this.call(
      Proc.DomainUndefineFlags,
      'DOMAIN_UNDEFINE_FLAGS',
      writeDomain(new XdrWriter(), domain).uint(flags),
      signal,
    );
  }

  async undefineDomainPlain(domain: Domain, signal?: AbortSignal): Promise<void> {
    await this.call(Proc.DomainUndefine, 'DOMAIN_UNDEFINE', writeDomain(new XdrWriter(), domain), signal);
  }

  domainState(domain: Domain, signal?: AbortSignal): Promise<{ state: DomainState; reason: number }> {
    return this.read(
      Proc.DomainGetState,
      'DOMAIN_GET_STATE',
      writeDomain(new XdrWriter(), domain).uint(0),
      (r) => ({ state: r.int() as DomainState, reason: r.int() }),
      signal,
    );
  }

  domainXml(domain: Domain, flags = 0, signal?: AbortSignal): Promise<string> {
    return this.read(
      Proc.DomainGetXmlDesc,
      'DOMAIN_GET_XML_DESC',
      writeDomain(new XdrWriter(), domain).uint(flags),
      (r) => r.string(STRING_MAX),
      signal,
    );
  }

  /** Addresses of the domain's interfaces, from DHCP leases, the guest agent or the ARP table. */
  interfaceAddresses(
    domain: Domain,
    source: number = AddressSource.Lease,
    signal?: AbortSignal,
  ): Promise<InterfaceAddresses[]> {
    return this.read(
      Proc.DomainInterfaceAddresses,
      'DOMAIN_INTERFACE_ADDRESSES',
      writeDomain(new XdrWriter(), domain).uint(source).uint(0),
      (r) =>
        r.array(INTERFACE_MAX, 'interfaces', (i) => ({
          name: i.string(STRING_MAX),
          mac: i.optionalString(STRING_MAX),
          addresses: i.array(INTERFACE_MAX, 'addresses', (a) => ({
            type: a.int() === 1 ? ('ipv6' as const) : ('ipv4' as const),
            address: a.string(STRING_MAX),
            prefix: a.uint(),
          })),
        })),
      signal,
    );
  }

  // --- storage

  lookupPoolByName(name: string, signal?: AbortSignal): Promise<StoragePool> {
    return this.read(
      Proc.StoragePoolLookupByName,
      'STORAGE_POOL_LOOKUP_BY_NAME',
      new XdrWriter().string(name),
      readPool,
      signal,
    );
  }

  /** A transient pool from XML, started at once (gone when destroyed). */
  createPool(xml: string, signal?: AbortSignal): Promise<StoragePool> {
    return this.read(
      Proc.StoragePoolCreateXml,
      'STORAGE_POOL_CREATE_XML',
      new XdrWriter().string(xml).uint(0),
      readPool,
      signal,
    );
  }

  async destroyPool(pool: StoragePool, signal?: AbortSignal): Promise<void> {
    await this.call(
      Proc.StoragePoolDestroy,
      'STORAGE_POOL_DESTROY',
      writePool(new XdrWriter(), pool),
      signal,
    );
  }

  async refreshPool(pool: StoragePool, signal?: AbortSignal): Promise<void> {
    await this.call(
      Proc.StoragePoolRefresh,
      'STORAGE_POOL_REFRESH',
      writePool(new XdrWriter(), pool).uint(0),
      signal,
    );
  }

  listVolumes(pool: StoragePool, signal?: AbortSignal): Promise<StorageVolume[]> {
    return this.read(
      Proc.StoragePoolListAllVolumes,
      'STORAGE_POOL_LIST_ALL_VOLUMES',
      writePool(new XdrWriter(), pool).int(1).uint(0),
      (r) => r.array(LIST_MAX, 'volumes', readVolume),
      signal,
    );
  }

  lookupVolumeByName(pool: StoragePool, name: string, signal?: AbortSignal): Promise<StorageVolume> {
    return this.read(
      Proc.StorageVolLookupByName,
      'STORAGE_VOL_LOOKUP_BY_NAME',
      writePool(new XdrWriter(), pool).string(name),
      readVolume,
      signal,
    );
  }

  lookupVolumeByPath(path: string, signal?: AbortSignal): Promise<StorageVolume> {
    return this.read(
      Proc.StorageVolLookupByPath,
      'STORAGE_VOL_LOOKUP_BY_PATH',
      new XdrWriter().string(path),
      readVolume,
      signal,
    );
  }

  createVolume(pool: StoragePool, xml: string, signal?: AbortSignal): Promise<StorageVolume> {
    return this.read(
      Proc.StorageVolCreateXml,
      'STORAGE_VOL_CREATE_XML',
      writePool(new XdrWriter(), pool).string(xml).uint(0),
      readVolume,
      signal,
    );
  }

  async deleteVolume(volume: StorageVolume, signal?: AbortSignal): Promise<void> {
    await this.call(
      Proc.StorageVolDelete,
      'STORAGE_VOL_DELETE',
      writeVolume(new XdrWriter(), volume).uint(0),
      signal,
    );
  }

  volumeInfo(
    volume: StorageVolume,
    signal?: AbortSignal,
  ): Promise<{ type: number; capacity: bigint; allocation: bigint }> {
    return this.read(
      Proc.StorageVolGetInfo,
      'STORAGE_VOL_GET_INFO',
      writeVolume(new XdrWriter(), volume),
      (r) => ({ type: r.int(), capacity: r.uhyper(), allocation: r.uhyper() }),
      signal,
    );
  }

  volumeXml(volume: StorageVolume, signal?: AbortSignal): Promise<string> {
    return this.read(
      Proc.StorageVolGetXmlDesc,
      'STORAGE_VOL_GET_XML_DESC',
      writeVolume(new XdrWriter(), volume).uint(0),
      (r) => r.string(STRING_MAX),
      signal,
    );
  }

  volumePath(volume: StorageVolume, signal?: AbortSignal): Promise<string> {
    return this.read(
      Proc.StorageVolGetPath,
      'STORAGE_VOL_GET_PATH',
      writeVolume(new XdrWriter(), volume),
      (r) => r.string(STRING_MAX),
      signal,
    );
  }

  /** Writes `data` into the volume from offset 0 (a stream upload). */
  uploadVolume(volume: StorageVolume, data: Buffer, signal?: AbortSignal): Promise<void> {
    const args = writeVolume(new XdrWriter(), volume).uhyper(0n).uhyper(BigInt(data.length)).uint(0);
    return this.rpc.upload(Proc.StorageVolUpload, 'STORAGE_VOL_UPLOAD', args.bytes(), data, signal);
  }

  // --- networks

  lookupNetworkByName(name: string, signal?: AbortSignal): Promise<Network> {
    return this.read(
      Proc.NetworkLookupByName,
      'NETWORK_LOOKUP_BY_NAME',
      new XdrWriter().string(name),
      readNetwork,
      signal,
    );
  }

  /** A transient network from XML, started at once (gone when destroyed). */
  createNetwork(xml: string, signal?: AbortSignal): Promise<Network> {
    return this.read(
      Proc.NetworkCreateXml,
      'NETWORK_CREATE_XML',
      new XdrWriter().string(xml),
      readNetwork,
      signal,
    );
  }

  async destroyNetwork(network: Network, signal?: AbortSignal): Promise<void> {
    await this.call(Proc.NetworkDestroy, 'NETWORK_DESTROY', writeNetwork(new XdrWriter(), network), signal);
  }
}

export { ErrorCode };
