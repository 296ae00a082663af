import type { Ipv4Subnet } from '@peerpods/netops';
import {
  type InstanceRecord,
  LOCAL_PROVIDER_LABELS,
  type PodVmBinaries,
  PodVmHost,
} from '@peerpods/pod-vm-host';
import type { CreateInstanceRequest, Instance, OwnedInstance, Provider } from '@peerpods/providers';

export interface LocalProviderSettings {
  subnet: Ipv4Subnet;
  bridge: string;
  stateDir: string;
  binaries: PodVmBinaries;
  log: (message: string) => void;
  /**
   * The network namespace the bridge lives in, as a path; default this process's own (the daemon's,
   * which is where the worker side of each tunnel is built too). Tests pass a throwaway one.
   */
  netns?: string;
}

/**
 * The embedded default provider: a pod VM is a {@link PodVmHost} VM, its user-data handed over as a
 * cidata file, and `createInstance` resolves once it has booted (the forwarder listens), so the
 * daemon's proxy connects on its first try.
 */
export class LocalProvider implements Provider {
  readonly #host: PodVmHost;

  private constructor(host: PodVmHost) {
    this.#host = host;
  }

  /**
   * Claims the state directory, takes over the pod VMs a previous run left running (a restarted
   * daemon adopts its sandboxes; it deletes those it cannot), removes the rest of its leftovers,
   * then makes sure the bridge is there.
   */
  static async start(settings: LocalProviderSettings): Promise<LocalProvider> {
    const host = await PodVmHost.start({ ...settings, labels: LOCAL_PROVIDER_LABELS, adoptLeftovers: true });
    settings.log(
      `bridge ${settings.bridge} ${host.gateway}/${settings.subnet.prefixLength}, ` +
        `state in ${settings.stateDir}, agent ${settings.binaries.agent}`,
    );
    return new LocalProvider(host);
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    const name = request.instanceName;
    const { record, booted } = this.#host.launch(name, {
      userData: request.userData,
      signal: request.signal,
      sandboxId: request.sandboxId,
    });
    try {
      await booted;
    } catch (error) {
      await this.deleteInstance(name).catch(() => {});
      throw new Error(`creating pod VM ${name}: ${(error as Error).message}`, { cause: error });
    }
    this.#host.settings.log(`created pod VM ${name} at ${record.ip} (${record.root})`);
    return { id: name, name, ips: [record.ip] };
  }

  async deleteInstance(id: string): Promise<void> {
    await this.#host.destroy(id);
  }

  /** Removes every pod VM and the bridge; with `keepInstances`, leaves both for the next run. */
  async teardown(options: { keepInstances?: boolean } = {}): Promise<void> {
    await this.#host.teardown({ keepPodVms: options.keepInstances === true });
  }

  async verifyConfig(): Promise<void> {
    await this.#host.checkBinaries();
  }

  /** This daemon's pod VMs: the local provider's state directory is the daemon's alone. */
  async listInstances(): Promise<OwnedInstance[]> {
    return this.#host.list().map((record) => ({
      id: record.name,
      name: record.name,
      sandboxId: record.sandboxId ?? '',
      createdAt: new Date(record.createdAt ?? 0),
      tags: {},
    }));
  }

  /** Pod VMs alive now, by instance name (for tests and diagnostics). */
  instances(): InstanceRecord[] {
    return this.#host.list();
  }
}
