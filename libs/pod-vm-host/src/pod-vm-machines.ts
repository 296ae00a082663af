import type { Machine, MachineRequest, Machines } from './cloud-machines';
import { PodVmHost, type PodVmHostSettings } from './pod-vm-host';

const NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;

/** The instance a metadata request comes from, known by its address. */
export interface MetadataSubject {
  instanceId: string;
  privateIp: string;
  userData: string;
}

/** A fake cloud's metadata server, listening on the bridge address the pod VMs reach it at. */
export interface MetadataServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface CloudFlavour {
  /** Firmware files that make process-user-data take this cloud's path (see BootPlan.hardware). */
  hardware: Readonly<Record<string, string>>;
  /** Environment for the VM's process-user-data (see BootPlan.userDataEnv). */
  userDataEnv?: Readonly<Record<string, string>>;
  /** Starts the cloud's metadata server on `address`, answering for the instance `lookup` finds. */
  serveMetadata(
    address: string,
    lookup: (ip: string) => MetadataSubject | undefined,
  ): Promise<MetadataServer>;
}

/**
 * A fake cloud's instances that really boot: each is a pod VM of a {@link PodVmHost} (a network
 * namespace on the fake's bridge running process-user-data, the agent and the forwarder) whose
 * firmware says which cloud it is on, and which fetches its user-data from the fake's metadata
 * server at 169.254.169.254, as on that cloud.
 */
export class PodVmMachines implements Machines {
  readonly #stopAll = new AbortController();

  private constructor(
    private readonly host: PodVmHost,
    private readonly flavour: CloudFlavour,
    private readonly metadata: MetadataServer,
    /** Instances by their address: the metadata server's view. */
    private readonly byIp: Map<string, MetadataSubject>,
  ) {}

  static async start(settings: PodVmHostSettings, flavour: CloudFlavour): Promise<PodVmMachines> {
    const host = await PodVmHost.start(settings);
    try {
      const byIp = new Map<string, MetadataSubject>();
      const metadata = await flavour.serveMetadata(host.gateway, (ip) => byIp.get(ip));
      return new PodVmMachines(host, flavour, metadata, byIp);
    } catch (error) {
      await host.teardown().catch(() => {});
      throw error;
    }
  }

  start(request: MachineRequest): Machine {
    const taken = new Set(this.host.list().map((record) => record.name));
    const wanted = request.preferredName ?? '';
    const name = NAME.test(wanted) && !taken.has(wanted) ? wanted : request.instanceId;
    const { record, booted } = this.host.launch(name, {
      hardware: this.flavour.hardware,
      userDataEnv: this.flavour.userDataEnv,
      metadataPort: this.metadata.port,
      noBoot: request.neverBoot,
      signal: this.#stopAll.signal,
    });
    this.byIp.set(record.ip, {
      instanceId: request.instanceId,
      privateIp: record.ip,
      userData: request.userData,
    });
    return { name, privateIp: record.ip, booted };
  }

  async stop(name: string): Promise<void> {
    const record = this.host.list().find((candidate) => candidate.name === name);
    await this.host.destroy(name);
    if (record) this.byIp.delete(record.ip);
  }

  async close(): Promise<void> {
    this.#stopAll.abort(new Error('the fake is shutting down'));
    await this.metadata.close();
    await this.host.teardown();
    this.byIp.clear();
  }
}
