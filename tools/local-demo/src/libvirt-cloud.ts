import { readFile } from 'node:fs/promises';
import { LibvirtClient, type StoragePool } from '@peerpods/libvirt-rpc';
import { type LibvirtSandbox, startLibvirtSandbox } from '@peerpods/libvirt-sandbox';
import type { DemoCloud, ProviderLaunch } from './provider-launch';

export const LIBVIRT_POOL = 'peerpods';
export const LIBVIRT_NETWORK = 'peerpods';
export const BASE_VOLUME = 'podvm-base.qcow2';
/**
 * The VMs' libvirt network, inside the worker node's namespace. NAT, like libvirt's default network,
 * so DHCP gives the VMs a default route: the forwarder finds its primary interface by it, and the
 * tunnel's worker end (the worker's eth0 address) is reached through it. What the VMs send elsewhere
 * goes out of the worker's eth0, which leads nowhere.
 */
export const LIBVIRT_BRIDGE = 'ppvirbr0';
const NETWORK_XML = `<network><name>${LIBVIRT_NETWORK}</name><forward mode='nat'/><bridge name='${LIBVIRT_BRIDGE}'/>
<ip address='10.198.0.1' netmask='255.255.255.0'><dhcp><range start='10.198.0.10' end='10.198.0.250'/></dhcp></ip></network>`;

export interface LibvirtCloudOptions {
  worker: { name: string; path: string };
  /** The pod VM image (qcow2) to upload as the base volume. */
  image: string;
}

/**
 * A real libvirtd and virtlogd in the worker node's network namespace (tools/libvirt-sandbox), with a
 * storage pool holding the uploaded pod VM image and an isolated network with DHCP: the daemon's
 * libvirt provider boots real QEMU VMs there (TCG), whose bridge, leases and packets never leave it.
 */
export class LibvirtCloud implements DemoCloud {
  readonly name = 'libvirtd';

  private constructor(
    readonly sandbox: LibvirtSandbox,
    private readonly admin: LibvirtClient,
    private readonly pool: StoragePool,
  ) {}

  static async start(options: LibvirtCloudOptions): Promise<LibvirtCloud> {
    const sandbox = await startLibvirtSandbox({
      prefix: 'ppvirt',
      netns: options.worker,
      startTimeoutMs: 60_000,
    });
    let admin: LibvirtClient | undefined;
    try {
      admin = await LibvirtClient.connect(sandbox.uri());
      const pool = await admin.createPool(
        `<pool type='dir'><name>${LIBVIRT_POOL}</name><target><path>${sandbox.poolDir}</path></target></pool>`,
      );
      await admin.createNetwork(NETWORK_XML);
      const image = await readFile(options.image);
      // As `virsh vol-create-as --format qcow2` and `vol-upload` do: a qcow2 volume of the image's
      // virtual size (its header's bytes 24 to 31), then the file's bytes streamed over it.
      if (image.readUInt32BE(0) !== 0x514649fb) throw new Error(`${options.image} is not a qcow2 image`);
      const base = await admin.createVolume(
        pool,
        `<volume><name>${BASE_VOLUME}</name><capacity unit='bytes'>${image.readBigUInt64BE(24)}</capacity><target><format type='qcow2'/></target></volume>`,
      );
      await admin.uploadVolume(base, image);
      await admin.refreshPool(pool);
      return new LibvirtCloud(sandbox, admin, pool);
    } catch (error) {
      await admin?.close().catch(() => {});
      const detail = sandbox.logs();
      await sandbox.stop();
      throw new Error(`${(error as Error).message}\n${detail}`, { cause: error });
    }
  }

  launch(): ProviderLaunch {
    return {
      args: [
        'libvirt',
        '-uri',
        this.sandbox.uri(),
        '-pool-name',
        LIBVIRT_POOL,
        '-network-name',
        LIBVIRT_NETWORK,
        '-vol-name',
        BASE_VOLUME,
        // Our images boot with BIOS GRUB, not OVMF.
        '-firmware',
        '',
        '-cpu',
        '2',
        '-memory',
        '1024',
      ],
      env: {},
    };
  }

  /** Every domain, and every volume but the base: one line each. */
  async settledInstances(): Promise<string[]> {
    const domains = await this.admin.listAllDomains();
    const volumes = await this.admin.listVolumes(this.pool);
    return [
      ...domains.map((domain) => `domain ${domain.name}`),
      ...volumes.filter((volume) => volume.name !== BASE_VOLUME).map((volume) => `volume ${volume.name}`),
    ];
  }

  logs(): string {
    return this.sandbox.logs();
  }

  /** Stops the VMs and daemons and removes their files; the worker namespace stays. */
  async stop(): Promise<void> {
    await this.admin.close().catch(() => {});
    await this.sandbox.stop();
  }
}
