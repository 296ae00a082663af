import { randomBytes } from 'node:crypto';
import type { Machine, Machines } from '@peerpods/pod-vm-host';
import type { FakeCatalog } from './catalog';
import { Ec2Error } from './ec2-error';
import type { Ec2Faults } from './faults';

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';

export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

/** What RunInstances was asked for, after validation; compared for ClientToken idempotency. */
export interface LaunchSpec {
  imageId: string;
  instanceType: string;
  subnetId: string;
  securityGroupIds: string[];
  keyName: string | undefined;
  userData: string;
  tags: Record<string, string>;
  amdSevSnp: boolean;
  rootDeviceName: string;
  rootVolumeGiB: number;
  associatePublicIp: boolean;
  launchTemplateName: string | undefined;
}

export interface FakeInstance {
  instanceId: string;
  reservationId: string;
  clientToken: string | undefined;
  spec: LaunchSpec;
  state: InstanceStateName;
  launchTime: Date;
  privateIp: string;
  /** Given once running, when the launch asked for one (here: the private address, the only reachable one). */
  publicIp: string | undefined;
  networkInterfaceId: string;
  volumeId: string;
  machine: Machine;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const newId = (prefix: string): string => `${prefix}-0${hex(8).slice(0, 16)}`;

/**
 * The fake account's instances. Launch validates against the catalog the way EC2 does (error codes
 * and messages as EC2 documents them), honours ClientToken, and starts a machine per instance.
 */
export class InstanceStore {
  readonly #instances = new Map<string, FakeInstance>();
  readonly #byToken = new Map<string, string[]>();

  constructor(
    private readonly catalog: FakeCatalog,
    private readonly machines: Machines,
    private readonly faults: () => Ec2Faults,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * Launches `count` instances, or returns the ones an earlier call with the same ClientToken made
   * (EC2's idempotency: same token and same parameters, same reservation; other parameters, an error).
   */
  launch(spec: LaunchSpec, count: number, clientToken: string | undefined): FakeInstance[] {
    if (clientToken !== undefined) {
      const earlier = this.#byToken.get(clientToken);
      if (earlier) {
        const instances = earlier.map((id) => this.#instances.get(id)!);
        if (JSON.stringify(instances[0]!.spec) !== JSON.stringify(spec) || instances.length !== count) {
          throw new Ec2Error(
            'IdempotentParameterMismatch',
            `The client token ${clientToken} was used before with different parameters.`,
          );
        }
        return instances;
      }
    }
    const reservationId = newId('r');
    const made: FakeInstance[] = [];
    for (let index = 0; index < count; index++) {
      const instanceId = newId('i');
      const machine = this.machines.start({
        instanceId,
        preferredName: spec.tags.Name,
        userData: spec.userData,
        neverBoot: this.faults().neverBoot === true,
      });
      const instance: FakeInstance = {
        instanceId,
        reservationId,
        clientToken,
        spec,
        state: 'pending',
        launchTime: new Date(),
        privateIp: machine.privateIp,
        publicIp: undefined,
        networkInterfaceId: newId('eni'),
        volumeId: newId('vol'),
        machine,
      };
      this.#instances.set(instanceId, instance);
      made.push(instance);
      // EC2 reports "running" once the hypervisor started the VM, before the guest has booted.
      setTimeout(() => this.#markRunning(instance), RUNNING_AFTER_MS).unref();
      machine.booted.then(
        () => this.log(`instance ${instanceId} (${machine.name}) booted at ${machine.privateIp}`),
        (error: unknown) => {
          if (instance.state === 'pending' || instance.state === 'running') {
            this.log(`instance ${instanceId} (${machine.name}) did not boot: ${(error as Error).message}`);
          }
        },
      );
    }
    if (clientToken !== undefined)
      this.#byToken.set(
        clientToken,
        made.map((instance) => instance.instanceId),
      );
    this.log(`launched ${made.map((i) => i.instanceId).join(', ')} (${spec.instanceType}, ${spec.imageId})`);
    return made;
  }

  /** Instances by id, in the order asked; a missing (or not yet visible) one is InvalidInstanceID.NotFound. */
  get(ids: readonly string[]): FakeInstance[] {
    const missing: string[] = [];
    const found: FakeInstance[] = [];
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id))
        throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
      const instance = this.#instances.get(id);
      if (instance && this.#visible(instance)) found.push(instance);
      else missing.push(id);
    }
    if (missing.length > 0) {
      throw new Ec2Error(
        'InvalidInstanceID.NotFound',
        missing.length === 1
          ? `The instance ID '${missing[0]}' does not exist`
          : `The instance IDs '${missing.join(', ')}' do not exist`,
      );
    }
    return found;
  }

  /** Every instance visible now, terminated ones included (EC2 shows them for a while). */
  all(): FakeInstance[] {
    return [...this.#instances.values()].filter((instance) => this.#visible(instance));
  }

  /** Instances that still cost money: anything not yet terminated. The leak check reads this. */
  live(): FakeInstance[] {
    return [...this.#instances.values()].filter((instance) => instance.state !== 'terminated');
  }

  /** Starts termination; the machine is stopped and the instance is "terminated" once it is gone. */
  terminate(instance: FakeInstance): { previous: InstanceStateName; current: InstanceStateName } {
    const previous = instance.state;
    if (previous === 'terminated' || previous === 'shutting-down') return { previous, current: previous };
    instance.state = 'shutting-down';
    this.machines.stop(instance.machine.name).then(
      () => {
        instance.state = 'terminated';
        instance.publicIp = undefined;
        this.log(`terminated ${instance.instanceId}`);
      },
      (error: unknown) => {
        // Stays shutting-down: the leak check then reports it, which is the point.
        this.log(`terminating ${instance.instanceId} failed: ${(error as Error).message}`);
      },
    );
    return { previous, current: 'shutting-down' };
  }

  /** Stops every machine (the fake is shutting down). */
  async close(): Promise<void> {
    for (const instance of this.live()) instance.state = 'shutting-down';
    await this.machines.close();
    for (const instance of this.#instances.values()) instance.state = 'terminated';
  }

  #visible(instance: FakeInstance): boolean {
    const hidden = this.faults().notFoundAfterLaunchMs ?? 0;
    return Date.now() - instance.launchTime.getTime() >= hidden;
  }

  #markRunning(instance: FakeInstance): void {
    if (instance.state !== 'pending') return;
    instance.state = 'running';
    if (instance.spec.associatePublicIp) instance.publicIp = instance.privateIp;
  }

  get catalogRegion(): string {
    return this.catalog.region;
  }
}

const RUNNING_AFTER_MS = 50;
