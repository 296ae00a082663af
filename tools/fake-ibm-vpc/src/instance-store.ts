import { randomUUID } from 'node:crypto';
import type { Machine, Machines } from '@peerpods/pod-vm-host';
import type { IbmCatalog } from './catalog';
import type { IbmFaults } from './faults';

interface Ref {
  id: string;
}

/** POST /instances' body, as far as the fake reads it. */
export interface FakePrototype {
  name: string;
  image: Ref;
  profile: { name: string };
  zone: { name: string };
  vpc: Ref;
  primary_network_interface: { subnet: Ref; security_groups?: Ref[] };
  network_interfaces?: { subnet: Ref; security_groups?: Ref[]; allow_ip_spoofing?: boolean }[];
  keys?: Ref[];
  resource_group?: Ref;
  user_data?: string;
  metadata_service?: { enabled?: boolean; protocol?: string };
  confidential_compute_mode?: string;
  enable_secure_boot?: boolean;
  placement_target?: Ref;
}

export interface FakeInstance {
  id: string;
  crn: string;
  prototype: FakePrototype;
  status: string;
  createdAt: string;
  /** Primary first, then one per extra interface. */
  ips: string[];
  nicIds: string[];
  tags: string[];
  machine: Machine;
  /** GETs left before the address shows (the addressAfterGets fault). */
  hiddenFor: number;
}

const NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The fake account's instances, each backed by a machine, and its fixed catalog. */
export class InstanceStore {
  readonly #instances = new Map<string, FakeInstance>();
  #nextExtraIp = 10;

  constructor(
    private readonly catalog: IbmCatalog,
    private readonly machines: Machines,
    private readonly faults: () => IbmFaults,
  ) {}

  /** The prototype when it is one the VPC API would take; else the API's message for what is wrong. */
  check(value: unknown): FakePrototype | string {
    const p = value as Partial<FakePrototype>;
    if (typeof p?.name !== 'string' || p.name.length > 63 || !NAME.test(p.name)) {
      return `name ${JSON.stringify(p?.name)} must be 1 to 63 lower-case letters, digits and hyphens`;
    }
    if ([...this.#instances.values()].some((instance) => instance.prototype.name === p.name)) {
      return `An instance named ${p.name} already exists in the VPC.`;
    }
    const catalog = this.catalog;
    if (!catalog.images.some((image) => image.id === p.image?.id)) return `image ${p.image?.id} not found`;
    if (!catalog.profiles.some((profile) => profile.name === p.profile?.name)) {
      return `instance profile ${p.profile?.name} not found`;
    }
    if (p.vpc?.id !== catalog.vpcId) return `vpc ${p.vpc?.id} not found`;
    const subnets = [
      p.primary_network_interface?.subnet?.id,
      ...(p.network_interfaces ?? []).map((n) => n.subnet?.id),
    ];
    for (const id of subnets) {
      const subnet = catalog.subnets.find((candidate) => candidate.id === id);
      if (!subnet) return `subnet ${id} not found`;
      if (subnet.zone !== p.zone?.name) return `subnet ${id} is not in zone ${p.zone?.name}`;
    }
    const groups = [
      ...(p.primary_network_interface?.security_groups ?? []),
      ...(p.network_interfaces ?? []).flatMap((nic) => nic.security_groups ?? []),
    ];
    for (const group of groups) {
      if (!catalog.securityGroups.some((candidate) => candidate.id === group.id)) {
        return `security group ${group.id} not found`;
      }
    }
    for (const key of p.keys ?? []) if (!catalog.keys.includes(key.id)) return `key ${key.id} not found`;
    if (p.resource_group && p.resource_group.id !== catalog.resourceGroupId) {
      return `resource group ${p.resource_group.id} not found`;
    }
    const target = p.placement_target?.id;
    if (target) {
      const host = [...catalog.dedicatedHosts, ...catalog.dedicatedHostGroups].find((h) => h.id === target);
      if (!host) return `placement target ${target} not found`;
      if (host.zone !== p.zone?.name) return `placement target ${target} is not in zone ${p.zone?.name}`;
    }
    if (p.confidential_compute_mode === 'tdx' && p.enable_secure_boot !== true) {
      return 'confidential_compute_mode tdx requires enable_secure_boot';
    }
    return p as FakePrototype;
  }

  create(prototype: FakePrototype): FakeInstance {
    const id = `0717_${randomUUID()}`;
    const machine = this.machines.start({
      instanceId: id,
      preferredName: prototype.name,
      userData: prototype.user_data ?? '',
      neverBoot: false,
    });
    const extra = (prototype.network_interfaces ?? []).map(() => `10.240.1.${this.#nextExtraIp++ % 250}`);
    const instance: FakeInstance = {
      id,
      crn: `crn:v1:bluemix:public:is:${prototype.zone.name}:a/${this.catalog.accountId}::instance:${id}`,
      prototype,
      status: 'pending',
      createdAt: new Date().toISOString(),
      ips: [machine.privateIp, ...extra],
      nicIds: [0, ...extra.map((_, i) => i + 1)].map(() => `0717-${randomUUID()}`),
      tags: [],
      machine,
      hiddenFor: this.faults().addressAfterGets ?? 0,
    };
    machine.booted.then(
      () => {
        if (instance.status === 'pending') instance.status = 'running';
      },
      () => {
        if (instance.status === 'pending') instance.status = 'failed';
      },
    );
    this.#instances.set(id, instance);
    return instance;
  }

  get(id: string): FakeInstance | undefined {
    return this.#instances.get(id);
  }

  list(): FakeInstance[] {
    return [...this.#instances.values()];
  }

  async delete(id: string): Promise<boolean> {
    const instance = this.#instances.get(id);
    if (!instance) return false;
    this.#instances.delete(id);
    await this.machines.stop(instance.machine.name);
    return true;
  }

  /** The instance as the API shows it; a GET counts towards showing a hidden address. */
  view(instance: FakeInstance, isGet: boolean): Record<string, unknown> {
    if (isGet && instance.hiddenFor > 0) instance.hiddenFor--;
    const hidden = this.faults().noAddress === true || instance.hiddenFor > 0;
    const nic = (index: number) => ({
      id: instance.nicIds[index],
      resource_type: 'network_interface',
      primary_ip: { address: hidden ? '0.0.0.0' : instance.ips[index] },
    });
    const profile = this.catalog.profiles.find(
      (candidate) => candidate.name === instance.prototype.profile.name,
    );
    return {
      id: instance.id,
      crn: instance.crn,
      name: instance.prototype.name,
      status: instance.status,
      created_at: instance.createdAt,
      profile: { name: instance.prototype.profile.name },
      image: { id: instance.prototype.image.id },
      zone: { name: instance.prototype.zone.name },
      vpc: { id: instance.prototype.vpc.id },
      vcpu: { architecture: profile?.arch, count: profile?.vcpus },
      memory: profile?.memoryGiB,
      confidential_compute_mode: instance.prototype.confidential_compute_mode ?? 'disabled',
      enable_secure_boot: instance.prototype.enable_secure_boot === true,
      primary_network_interface: nic(0),
      network_interfaces: instance.ips.map((_, index) => nic(index)),
    };
  }

  /** A catalog resource as the API shows it, by its path's kind. */
  catalogResource(kind: string, id: string): Record<string, unknown> | undefined {
    const catalog = this.catalog;
    if (kind === 'instance/profiles') {
      const profile = catalog.profiles.find((candidate) => candidate.name === id);
      return (
        profile && {
          name: profile.name,
          vcpu_architecture: { type: 'fixed', value: profile.arch },
          vcpu_count: { type: 'fixed', value: profile.vcpus },
          memory: { type: 'fixed', value: profile.memoryGiB },
          gpu_count: { type: 'fixed', value: profile.gpus },
        }
      );
    }
    if (kind === 'images') {
      const image = catalog.images.find((candidate) => candidate.id === id);
      return (
        image && {
          id: image.id,
          name: image.name,
          status: 'available',
          operating_system: { architecture: image.arch, name: `debian-12-${image.arch}` },
        }
      );
    }
    if (kind === 'subnets') {
      const subnet = catalog.subnets.find((candidate) => candidate.id === id);
      return (
        subnet && {
          id: subnet.id,
          vpc: { id: catalog.vpcId },
          zone: { name: subnet.zone },
          resource_group: { id: catalog.resourceGroupId },
          ipv4_cidr_block: subnet.cidr,
        }
      );
    }
    const zoned = (kind === 'dedicated_hosts' ? catalog.dedicatedHosts : catalog.dedicatedHostGroups).find(
      (candidate) => candidate.id === id,
    );
    return zoned && { id: zoned.id, zone: { name: zoned.zone } };
  }

  async close(): Promise<void> {
    this.#instances.clear();
    await this.machines.close();
  }
}
