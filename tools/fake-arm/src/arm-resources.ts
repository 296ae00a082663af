import { randomUUID } from 'node:crypto';
import type { Machine, Machines } from '@peerpods/pod-vm-host';
import { notFound } from './arm-error';
import type { ArmCatalog } from './catalog';
import type { ArmFaults } from './faults';
import type { VmSpec } from './vm-spec';

export type ProvisioningState = 'Creating' | 'Succeeded' | 'Failed' | 'Deleting';

export interface VmRecord {
  spec: VmSpec;
  id: string;
  vmId: string;
  state: ProvisioningState;
  machine: Machine | undefined;
  createdAt: Date;
}

/** A NIC, disk or public IP: what outlives its VM unless it was made with deleteOption Delete. */
export interface DependentResource {
  kind: 'networkInterfaces' | 'disks' | 'publicIPAddresses';
  name: string;
  id: string;
  deleteWithVm: boolean;
  vmName: string;
  /** NIC: its private address; public IP: its address. */
  address?: string;
}

export interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
}

/**
 * The fake subscription's resource group: VMs and the NIC, OS disk and public IP each brings, plus
 * the long-running operations that create and delete them.
 */
export class ArmResources {
  readonly vms = new Map<string, VmRecord>();
  readonly dependents = new Map<string, DependentResource>();
  readonly operations = new Map<string, Operation>();

  constructor(
    private readonly catalog: ArmCatalog,
    private readonly machines: Machines,
    private readonly faults: () => ArmFaults,
    private readonly log: (message: string) => void,
  ) {}

  resourceId(provider: string, kind: string, name: string): string {
    const { subscriptionId, resourceGroup } = this.catalog;
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${provider}/${kind}/${name}`;
  }

  /** Starts a create: the NIC, disk and public IP exist at once, the VM once the operation ends. */
  create(spec: VmSpec, failAfterNic: boolean): Operation {
    const existing = this.vms.get(spec.name.toLowerCase());
    if (existing && existing.state !== 'Failed') {
      // A PUT of what exists is an update; the fake treats it as "already there".
      return this.#operation('Succeeded');
    }
    const operation = this.#operation('InProgress');
    const vm: VmRecord = {
      spec,
      id: this.resourceId('Microsoft.Compute', 'virtualMachines', spec.name),
      vmId: randomUUID(),
      state: 'Creating',
      machine: undefined,
      createdAt: new Date(),
    };
    this.vms.set(spec.name.toLowerCase(), vm);
    const machine = this.machines.start({
      instanceId: spec.name.toLowerCase(),
      preferredName: spec.name.toLowerCase(),
      userData: spec.userData,
      neverBoot: this.faults().neverBoot === true || failAfterNic,
    });
    vm.machine = machine;
    this.#dependent('networkInterfaces', spec.nic.name, spec.nic.deleteWithVm, spec.name, machine.privateIp);
    this.#dependent('disks', spec.osDisk.name, spec.osDisk.deleteWithVm, spec.name);
    if (spec.publicIp) {
      // The only address a pod VM here can be reached at is its private one: the "public" IP is it.
      this.#dependent(
        'publicIPAddresses',
        spec.publicIp.name,
        spec.publicIp.deleteWithVm,
        spec.name,
        machine.privateIp,
      );
    }
    setTimeout(() => {
      if (failAfterNic) {
        vm.state = 'Failed';
        // A VM that failed is stopped: its pod VM goes, the NIC and disk stay as Azure leaves them.
        this.machines.stop(machine.name).catch(() => {});
        operation.status = 'Failed';
        operation.error = {
          code: 'AllocationFailed',
          message:
            'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
        };
        this.log(`create of ${spec.name} failed after its NIC was made`);
        return;
      }
      if (vm.state === 'Creating') vm.state = 'Succeeded';
      operation.status = 'Succeeded';
      this.log(`created VM ${spec.name} at ${machine.privateIp}`);
    }, this.faults().operationMs ?? 300).unref();
    return operation;
  }

  /** Starts a delete; the VM's dependents with deleteOption Delete go with it. */
  delete(name: string): Operation {
    const vm = this.vms.get(name.toLowerCase());
    if (!vm) throw notFound('Microsoft.Compute/virtualMachines', name, this.catalog.resourceGroup);
    const operation = this.#operation('InProgress');
    vm.state = 'Deleting';
    const stopped = vm.machine ? this.machines.stop(vm.machine.name) : Promise.resolve();
    const delay = new Promise((resolve) => setTimeout(resolve, this.faults().operationMs ?? 300).unref());
    Promise.all([stopped, delay]).then(
      () => {
        this.vms.delete(name.toLowerCase());
        for (const [id, dependent] of this.dependents) {
          if (dependent.vmName.toLowerCase() === name.toLowerCase() && dependent.deleteWithVm)
            this.dependents.delete(id);
        }
        operation.status = 'Succeeded';
        this.log(`deleted VM ${name}`);
      },
      (error: unknown) => {
        operation.status = 'Failed';
        operation.error = { code: 'InternalOperationError', message: (error as Error).message };
      },
    );
    return operation;
  }

  /** Deletes a NIC, disk or public IP on its own (what a client does after a failed create). */
  deleteDependent(kind: DependentResource['kind'], name: string): boolean {
    const id = this.resourceId(
      kind === 'disks' ? 'Microsoft.Compute' : 'Microsoft.Network',
      kind,
      name,
    ).toLowerCase();
    const dependent = this.dependents.get(id);
    if (!dependent) return false;
    const vm = this.vms.get(dependent.vmName.toLowerCase());
    if (vm && vm.state !== 'Failed') {
      throw Object.assign(new Error('in use'), { inUse: true, vm: vm.spec.name });
    }
    this.dependents.delete(id);
    return true;
  }

  dependent(kind: DependentResource['kind'], name: string): DependentResource {
    const id = this.resourceId(
      kind === 'disks' ? 'Microsoft.Compute' : 'Microsoft.Network',
      kind,
      name,
    ).toLowerCase();
    const found = this.dependents.get(id);
    if (!found)
      throw notFound(
        `Microsoft.${kind === 'disks' ? 'Compute' : 'Network'}/${kind}`,
        name,
        this.catalog.resourceGroup,
      );
    return found;
  }

  /** Stops every machine (the fake is shutting down). */
  async close(): Promise<void> {
    await this.machines.close();
    this.vms.clear();
  }

  #dependent(
    kind: DependentResource['kind'],
    name: string,
    deleteWithVm: boolean,
    vmName: string,
    address?: string,
  ): void {
    const id = this.resourceId(kind === 'disks' ? 'Microsoft.Compute' : 'Microsoft.Network', kind, name);
    this.dependents.set(id.toLowerCase(), { kind, name, id, deleteWithVm, vmName, address });
  }

  #operation(status: Operation['status']): Operation {
    const operation: Operation = { id: randomUUID(), status };
    this.operations.set(operation.id, operation);
    return operation;
  }
}
