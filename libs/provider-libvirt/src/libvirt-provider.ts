import { cidataIso } from '@peerpods/iso9660';
import {
  AddressSource,
  type Domain,
  DomainState,
  ErrorCode,
  formatUuid,
  isLibvirtError,
  LibvirtClient,
  LibvirtError,
  parseUuid,
  type StoragePool,
  type StorageVolume,
  UndefineFlags,
} from '@peerpods/libvirt-rpc';
import {
  type CreateInstanceRequest,
  type Instance,
  InstanceCreationError,
  isOwnedBy,
  type OwnedInstance,
  ownershipTags,
  type Provider,
  type ProviderContext,
} from '@peerpods/providers';
import { domainFacts, domainXml } from './domain-xml';
import type { LibvirtSettings } from './settings';
import { rawVolumeXml, rootVolumeXml } from './volume-xml';

const GiB = 1024n ** 3n;

/** How long createInstance waits for the VM's DHCP lease, and how often it asks. */
export interface AddressWait {
  timeoutMs: number;
  intervalMs: number;
}

const DEFAULT_ADDRESS_WAIT: AddressWait = { timeoutMs: 300_000, intervalMs: 1000 };

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Pod VMs as libvirt domains (upstream's libvirt provider, docs/compatibility.md §7): a qcow2 root
 * volume backed by the base volume, a cidata ISO volume with the user-data, and a domain on the
 * network, whose DHCP lease gives the VM's IP. The instance id is the domain's UUID.
 */
export class LibvirtProvider implements Provider {
  private connection: Promise<LibvirtClient> | undefined;
  private domainType: Promise<'kvm' | 'qemu'> | undefined;

  constructor(
    private readonly settings: LibvirtSettings,
    private readonly context: ProviderContext,
    private readonly addressWait: AddressWait = DEFAULT_ADDRESS_WAIT,
  ) {}

  /** Connects and checks what StartVM needs, so a bad configuration fails at start-up. */
  static async start(
    settings: LibvirtSettings,
    context: ProviderContext,
    addressWait?: AddressWait,
  ): Promise<LibvirtProvider> {
    const provider = new LibvirtProvider(settings, context, addressWait);
    try {
      await provider.verifyConfig();
    } catch (error) {
      await provider.teardown();
      throw error;
    }
    return provider;
  }

  /** What `cloud-api-adaptor libvirt sweep` uses: no checks beyond reaching the daemon. */
  static forSweep(settings: LibvirtSettings, context: ProviderContext): LibvirtProvider {
    return new LibvirtProvider(settings, context);
  }

  /** One connection, made again when libvirtd closed it (a daemon restart). */
  private client(): Promise<LibvirtClient> {
    const current = this.connection;
    if (current) {
      return current.then((client) => {
        if (!client.closed) return client;
        this.connection = undefined;
        return this.client();
      });
    }
    const { apiCalls } = this.context;
    const onCall = apiCalls
      ? ({ procedure, ok, seconds }: { procedure: string; ok: boolean; seconds: number }) =>
          apiCalls({
            operation: procedure,
            outcome: ok ? 'success' : 'error',
            attempts: 1,
            throttled: 0,
            seconds,
          })
      : undefined;
    const opened = LibvirtClient.connect(this.settings.uri, undefined, { onCall }).catch((error: unknown) => {
      this.connection = undefined;
      throw new Error(`connecting to libvirt at ${this.settings.uri}: ${describe(error)}`, { cause: error });
    });
    this.connection = opened;
    return opened;
  }

  async verifyConfig(): Promise<void> {
    const client = await this.client();
    const capabilities = await client.capabilities();
    // Upstream picks the machine by host arch; only x86_64 guests are done here (TCG runs them anywhere).
    const arch = /<host>[\s\S]*?<arch>([^<]+)<\/arch>/.exec(capabilities)?.[1] ?? 'unknown';
    if (/^(s390x|aarch64|ppc64)/.test(arch)) {
      throw new Error(
        `the libvirt host is ${arch}: this provider makes x86_64 domains only (${arch} is not done yet)`,
      );
    }
    if (this.settings.launchSecurity === 's390-pv') {
      throw new Error('-launch-security s390-pv (LIBVIRT_LAUNCH_SECURITY) needs an s390x libvirt host');
    }
    const pool = await this.pool(client);
    await client.lookupNetworkByName(this.settings.networkName).catch((error: unknown) => {
      throw new Error(
        `libvirt network ${this.settings.networkName} (-network-name, LIBVIRT_NET): ${describe(error)}`,
      );
    });
    await this.baseVolume(client, pool, this.settings.volumeName);
  }

  private async pool(client: LibvirtClient): Promise<StoragePool> {
    try {
      return await client.lookupPoolByName(this.settings.poolName);
    } catch (error) {
      throw new Error(
        `libvirt storage pool ${this.settings.poolName} (-pool-name, LIBVIRT_POOL): ${describe(error)}`,
      );
    }
  }

  private async baseVolume(client: LibvirtClient, pool: StoragePool, name: string): Promise<StorageVolume> {
    try {
      return await client.lookupVolumeByName(pool, name);
    } catch (error) {
      // Upstream's words, which its users and docs search for.
      if (isLibvirtError(error, ErrorCode.NoStorageVol))
        throw new Error(`Error in creating volume: Can't retrieve volume ${name}`);
      throw error;
    }
  }

  private type(client: LibvirtClient): Promise<'kvm' | 'qemu'> {
    this.domainType ??= client
      .capabilities()
      .then((caps) => (/<domain type=['"]kvm['"]/.test(caps) ? 'kvm' : 'qemu'));
    return this.domainType;
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    const { instanceName: name, signal } = request;
    const client = await this.client();
    const existing = await client.lookupDomainByName(name, signal).catch((error: unknown) => {
      if (isLibvirtError(error, ErrorCode.NoDomain)) return undefined;
      throw error;
    });
    if (existing) {
      // Idempotent, as upstream: a retried StartVM gets the VM it already has.
      this.context.log(`domain ${name} exists already; using it`);
      return this.withAddresses(client, existing, signal);
    }

    const pool = await this.pool(client);
    const base = await this.baseVolume(client, pool, request.spec.image || this.settings.volumeName);
    const created: StorageVolume[] = [];
    const createdAt = new Date();
    let domain: Domain | undefined;
    let domainType: 'kvm' | 'qemu' = 'qemu';
    let xmlFor: (type: 'kvm' | 'qemu') => string = () => '';
    try {
      const [baseInfo, basePath, baseXml] = await Promise.all([
        client.volumeInfo(base, signal),
        client.volumePath(base, signal),
        client.volumeXml(base, signal),
      ]);
      const baseFormat = /<target>[\s\S]*?<format type=['"]([^'"]+)['"]/.exec(baseXml)?.[1] ?? 'qcow2';
      const wanted = BigInt(this.settings.rootDiskGiB) * GiB;
      const capacity = baseInfo.capacity > wanted ? baseInfo.capacity : wanted;
      const root = await client.createVolume(
        pool,
        rootVolumeXml(`${name}-root.qcow2`, capacity, basePath, baseFormat),
        signal,
      );
      created.push(root);

      const iso = cidataIso(request.userData, name);
      const seed = await client.createVolume(pool, rawVolumeXml(`${name}-cloudinit.iso`, iso.length), signal);
      created.push(seed);
      await client.uploadVolume(seed, iso, signal);

      const [rootPath, seedPath, type] = await Promise.all([
        client.volumePath(root, signal),
        client.volumePath(seed, signal),
        this.type(client),
      ]);
      xmlFor = (domainType) =>
        domainXml({
          name,
          type: domainType,
          vcpus: request.spec.vcpus > 0 ? request.spec.vcpus : this.settings.vcpus,
          memoryMiB: request.spec.memoryMiB > 0 ? request.spec.memoryMiB : this.settings.memoryMiB,
          cpuset: this.settings.cpuset,
          rootDiskPath: rootPath,
          cidataPath: seedPath,
          networkName: this.settings.networkName,
          firmware: this.settings.firmware,
          tags: ownershipTags(this.context.owner, request.sandboxId),
          createdAt,
        });
      domainType = type;
      domain = await client.defineDomain(xmlFor(type), signal);
    } catch (error) {
      // Nothing is defined yet: the volumes are ours to remove.
      await this.deleteVolumes(client, created);
      throw error;
    }

    const id = formatUuid(domain.uuid);
    try {
      domain = await this.startWithFallback(client, domain, domainType, xmlFor, signal);
      this.context.log(`started domain ${name} (${id})`);
      return await this.withAddresses(client, domain, signal);
    } catch (error) {
      throw new InstanceCreationError(`creating pod VM ${name}: ${describe(error)}`, {
        instance: { id, name },
        cause: error,
      });
    }
  }

  /**
   * Starts the domain. When KVM is offered but QEMU cannot use it (a /dev/kvm without access, or a
   * nested hypervisor that fails KVM's checks), the domain is defined again for TCG, and this
   * provider uses TCG from then on: a slow pod VM beats none.
   */
  private async startWithFallback(
    client: LibvirtClient,
    domain: Domain,
    type: 'kvm' | 'qemu',
    xmlFor: (type: 'kvm' | 'qemu') => string,
    signal: AbortSignal,
  ): Promise<Domain> {
    try {
      await client.startDomain(domain, signal);
      return domain;
    } catch (error) {
      if (type !== 'kvm' || !/kvm/i.test(describe(error))) throw error;
      this.context.log(
        `KVM is offered but not usable (${describe(error).split('\n')[0]}); using QEMU's TCG, which is much slower`,
      );
      this.domainType = Promise.resolve('qemu');
      // Same name and UUID: defining again replaces the definition.
      const again = await client.defineDomain(
        xmlFor('qemu').replace('<name>', `<uuid>${formatUuid(domain.uuid)}</uuid><name>`),
        signal,
      );
      await client.startDomain(again, signal);
      return again;
    }
  }

  /** Polls the network's DHCP leases for the domain's IPv4 address, within the wait's bound. */
  private async withAddresses(client: LibvirtClient, domain: Domain, signal: AbortSignal): Promise<Instance> {
    const deadline = Date.now() + this.addressWait.timeoutMs;
    for (;;) {
      const interfaces = await client.interfaceAddresses(domain, AddressSource.Lease, signal);
      const ips = interfaces.flatMap((entry) =>
        entry.addresses.filter((a) => a.type === 'ipv4').map((a) => a.address),
      );
      if (ips.length > 0) return { id: formatUuid(domain.uuid), name: domain.name, ips };
      if (Date.now() + this.addressWait.intervalMs > deadline) {
        throw new Error(
          `domain ${domain.name} has no DHCP lease on network ${this.settings.networkName} after ${Math.round(this.addressWait.timeoutMs / 1000)} s`,
        );
      }
      await sleep(this.addressWait.intervalMs, signal);
    }
  }

  private async deleteVolumes(client: LibvirtClient, volumes: readonly StorageVolume[]): Promise<void> {
    for (const volume of volumes) {
      try {
        await client.deleteVolume(volume);
      } catch (error) {
        if (!isLibvirtError(error, ErrorCode.NoStorageVol))
          this.context.log(`deleting volume ${volume.name}: ${describe(error)}`);
      }
    }
  }

  async deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    const client = await this.client();
    let domain: Domain;
    try {
      domain = await client.lookupDomainByUuid(parseUuid(id), signal);
    } catch (error) {
      if (isLibvirtError(error, ErrorCode.NoDomain)) {
        this.context.log(`domain ${id} is already gone`);
        return;
      }
      throw error;
    }
    const { state } = await client.domainState(domain, signal);
    if (state === DomainState.Running || state === DomainState.Paused || state === DomainState.Blocked) {
      await client.destroyDomain(domain, signal).catch((error: unknown) => {
        if (!isLibvirtError(error, ErrorCode.OperationInvalid)) throw error;
      });
    }
    const { diskFiles } = domainFacts(await client.domainXml(domain, 0, signal));
    const volumes: StorageVolume[] = [];
    for (const file of diskFiles) {
      try {
        volumes.push(await client.lookupVolumeByPath(file, signal));
      } catch (error) {
        if (!isLibvirtError(error, ErrorCode.NoStorageVol)) throw error;
      }
    }
    await this.deleteVolumes(client, volumes);
    try {
      await client.undefineDomain(domain, UndefineFlags.Nvram, signal);
    } catch (error) {
      if (isLibvirtError(error, ErrorCode.NoDomain)) return;
      if (!(error instanceof LibvirtError)) throw error;
      // A driver without NVRAM support refuses the flag; upstream falls back to a plain undefine.
      await client.undefineDomainPlain(domain, signal);
    }
    this.context.log(`deleted domain ${domain.name} (${id}) and ${volumes.length} volumes`);
  }

  async listInstances(signal?: AbortSignal): Promise<OwnedInstance[]> {
    const client = await this.client();
    const owned: OwnedInstance[] = [];
    for (const domain of await client.listAllDomains(0, signal)) {
      let xml: string;
      try {
        xml = await client.domainXml(domain, 0, signal);
      } catch (error) {
        if (isLibvirtError(error, ErrorCode.NoDomain)) continue;
        throw error;
      }
      const facts = domainFacts(xml);
      if (!isOwnedBy(facts.tags, this.context.owner)) continue;
      owned.push({
        id: formatUuid(domain.uuid),
        name: domain.name,
        sandboxId: facts.tags['peerpods-sandbox-id'] ?? '',
        createdAt: facts.createdAt ?? new Date(0),
        tags: facts.tags,
      });
    }
    return owned;
  }

  async teardown(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    try {
      await (await connection).close();
    } catch {
      // never connected
    }
  }
}
