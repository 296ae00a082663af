import { PodVmHost as Host, type PodVmHost, type PodVmHostSettings } from '@peerpods/pod-vm-host';
import { InstanceMetadataService } from './imds';
import type { Machine, MachineRequest, Machines } from './machines';

// process-user-data takes the EC2 path when the DMI system manufacturer says so.
const EC2_HARDWARE = { 'sys/class/dmi/id/sys_vendor': 'Amazon EC2\n' };
const NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;

interface Booted {
  instanceId: string;
  privateIp: string;
  userData: string;
}

/**
 * Instances that really boot: each is a pod VM of a {@link PodVmHost} (a network namespace on the
 * fake's bridge running process-user-data, the agent and the forwarder), and fetches its user-data
 * from this fake's IMDS at 169.254.169.254, as on EC2.
 */
export class PodVmMachines implements Machines {
  readonly #stopAll = new AbortController();

  private constructor(
    private readonly host: PodVmHost,
    private readonly imds: InstanceMetadataService,
    /** Instances by their address: the metadata service's view. */
    private readonly byIp: Map<string, Booted>,
  ) {}

  static async start(
    settings: PodVmHostSettings,
    placement: { region: string; availabilityZone: string },
  ): Promise<PodVmMachines> {
    const host = await Host.start(settings);
    try {
      const byIp = new Map<string, Booted>();
      const imds = await InstanceMetadataService.listen(host.gateway, (ip) => {
        const booted = byIp.get(ip);
        return booted && { ...booted, ...placement };
      });
      return new PodVmMachines(host, imds, byIp);
    } catch (error) {
      await host.teardown().catch(() => {});
      throw error;
    }
  }

  start(request: MachineRequest): Machine {
    const taken = new Set(this.host.list().map((record) => record.name));
    const wanted = request.nameTag ?? '';
    const name = NAME.test(wanted) && !taken.has(wanted) ? wanted : request.instanceId;
    const { record, booted } = this.host.launch(name, {
      hardware: EC2_HARDWARE,
      metadataPort: this.imds.port,
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
    await this.imds.close();
    await this.host.teardown();
    this.byIp.clear();
  }
}
