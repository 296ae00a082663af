import type { PodNetwork } from '@peerpods/apf-config';

/** What the daemon needs to know to build a tunnel, beyond the pod-network object. */
export interface TunnelSettings {
  vxlanPort: number;
  vxlanMinId: number;
  /** `-host-interface`: a dedicated interface for the tunnel instead of the primary one. */
  hostInterface?: string;
}

/**
 * The worker side of pod networking, as cloud-api-adaptor uses it: inspect the pod's network
 * namespace at CreateVM, build the tunnel at StartVM, remove it at StopVM. The pod-networking
 * issue implements it with real VXLAN; until then, and in unit tests, a stub stands behind it.
 */
export interface WorkerNetwork {
  inspect(netnsPath: string): Promise<PodNetwork>;
  setup(request: {
    sandboxId: string;
    netnsPath: string;
    instanceIps: readonly string[];
    podNetwork: PodNetwork;
  }): Promise<void>;
  teardown(request: { sandboxId: string; netnsPath: string; podNetwork: PodNetwork }): Promise<void>;
  /** After a restart: takes a built tunnel over (its index reserved), repairing it if parts are missing. */
  adopt(request: {
    sandboxId: string;
    netnsPath: string;
    instanceIps: readonly string[];
    podNetwork: PodNetwork;
  }): Promise<'intact' | 'repaired'>;
  /** After a restart: removes host-side tunnel state of every VNI outside `keep`; resolves those VNIs. */
  reclaim(keep: ReadonlySet<number>): Promise<number[]>;
}

/**
 * A WorkerNetwork that touches no kernel state: inspect returns a fixed description (with the
 * next VNI), setup/teardown record calls. For tests and for running the daemon before pod
 * networking lands.
 */
export class StubWorkerNetwork implements WorkerNetwork {
  private nextIndex = 0;
  readonly active = new Set<string>();

  constructor(
    private readonly settings: TunnelSettings,
    private readonly template: Omit<PodNetwork, 'index' | 'vxlanId' | 'vxlanPort'> = {
      podIp: '10.244.1.7/24',
      podHwAddr: '0a:58:0a:f4:01:07',
      interface: 'eth0',
      workerNodeIp: '192.168.122.63/24',
      tunnelType: 'vxlan',
      routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1', dev: 'eth0', protocol: 'boot', scope: 'universe' }],
      neighbors: [],
      mtu: 1450,
      dedicated: false,
      externalNetViaPodVm: false,
    },
  ) {}

  async inspect(_netnsPath: string): Promise<PodNetwork> {
    const index = this.nextIndex++;
    return {
      ...this.template,
      dedicated: this.settings.hostInterface !== undefined && this.settings.hostInterface !== '',
      index,
      vxlanPort: this.settings.vxlanPort,
      vxlanId: this.settings.vxlanMinId + index,
    };
  }

  async setup(request: { sandboxId: string }): Promise<void> {
    this.active.add(request.sandboxId);
  }

  async teardown(request: { sandboxId: string }): Promise<void> {
    this.active.delete(request.sandboxId);
  }

  async adopt(request: { sandboxId: string; podNetwork: PodNetwork }): Promise<'intact'> {
    this.nextIndex = Math.max(this.nextIndex, request.podNetwork.index + 1);
    this.active.add(request.sandboxId);
    return 'intact';
  }

  async reclaim(): Promise<number[]> {
    return [];
  }
}
