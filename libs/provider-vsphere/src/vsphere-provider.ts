import { isIPv4 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CreateInstanceRequest,
  type Instance,
  InstanceCreationError,
  isOwnedBy,
  OWNER_TAG_SANDBOX,
  type OwnedInstance,
  ownershipTags,
  type Provider,
  type ProviderContext,
} from '@peerpods/providers';
import type { VsphereSettings } from './settings';
import { SoapFault } from './soap-client';
import { type MoRef, moRef, optionValues, textOf, xmlText } from './soap-xml';
import { Vcenter } from './vcenter';

// Ownership tags live in the VM's extraConfig under this prefix; not guestinfo.*, which the guest can read.
const TAG_PREFIX = 'peerpods.tag.';
// Polled from 100 ms, doubling to 2 s: a simulator answers at once, a real boot takes tens of seconds.
const ADDRESS_POLL_FIRST_MS = 100;
const ADDRESS_POLL_MAX_MS = 2000;
const ADDRESS_WAIT_MS = 600_000;

/** Where clones go: the folder, and the pool, host and datastore (or just the DRS cluster's pool). */
interface Placement {
  folder: MoRef;
  /** The folder's inventory path, where a clone is found by name. */
  folderPath: string;
  pool: MoRef;
  host?: MoRef;
  datastore?: MoRef;
}

function optionValue(key: string, value: string): string {
  return `<extraConfig xsi:type="OptionValue"><key>${xmlText(key)}</key><value xsi:type="xsd:string">${xmlText(value)}</value></extraConfig>`;
}

/**
 * Pod VMs cloned from a template over vSphere's SOAP API (docs/compatibility.md §7.7): the clone
 * carries the user-data in `guestinfo.userdata` (base64), gets its vCPUs and memory with
 * ReconfigVM_Task, is powered on and waited for until VMware Tools report an IPv4 address.
 */
export class VsphereProvider implements Provider {
  #placement: Promise<Placement> | undefined;
  #datacenterRef: Promise<MoRef> | undefined;

  private constructor(
    private readonly vcenter: Vcenter,
    private readonly settings: VsphereSettings,
    private readonly context: ProviderContext,
    private readonly template: MoRef | undefined,
  ) {}

  static async start(settings: VsphereSettings, context: ProviderContext): Promise<VsphereProvider> {
    const vcenter = await connect(settings, context);
    try {
      const template = await findTemplate(vcenter, settings);
      const provider = new VsphereProvider(vcenter, settings, context, template);
      await provider.#place();
      context.log(
        `vcenter ${settings.url.host}, datacenter ${settings.datacenter}, template ${settings.template}, ` +
          (settings.drs
            ? `DRS in cluster ${settings.cluster}`
            : `host ${settings.host}, datastore ${settings.datastore}`) +
          `, TLS ${'thumbprint' in settings.trust ? 'pinned by thumbprint' : 'verified by CA'}`,
      );
      return provider;
    } catch (error) {
      await vcenter.logout();
      throw error;
    }
  }

  static async forSweep(settings: VsphereSettings, context: ProviderContext): Promise<VsphereProvider> {
    return new VsphereProvider(await connect(settings, context), settings, context, undefined);
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    const { signal } = request;
    const name = request.instanceName;
    if (!this.template) throw new Error('the sweep provider creates nothing');
    this.context.log(`Start CreateInstance VM name ${name}`);
    const placement = await this.#place();
    const tags = ownershipTags(this.context.owner, request.sandboxId);
    const config = [
      optionValue('guestinfo.userdata', Buffer.from(request.userData, 'utf8').toString('base64')),
      optionValue('guestinfo.userdata.encoding', 'base64'),
      ...Object.entries(tags).map(([key, value]) => optionValue(`${TAG_PREFIX}${key}`, value)),
      optionValue(`${TAG_PREFIX}created`, new Date().toISOString()),
      ...(this.settings.simulatorGuestIp
        ? [optionValue('SET.guest.ipAddress', this.settings.simulatorGuestIp)]
        : []),
    ].join('');
    const location =
      moRef('folder', placement.folder) +
      (placement.datastore ? moRef('datastore', placement.datastore) : '') +
      moRef('pool', placement.pool) +
      (placement.host ? moRef('host', placement.host) : '');
    let vm: MoRef;
    try {
      const result = await this.vcenter.runTask(
        'CloneVM_Task',
        this.template,
        `${moRef('folder', placement.folder)}<name>${xmlText(name)}</name><spec><location>${location}</location><template>false</template><config>${config}</config><powerOn>false</powerOn></spec>`,
        signal,
      );
      vm = { type: 'VirtualMachine', value: textOf(result) };
      if (!vm.value) throw new Error('CloneVM_Task returned no VM');
    } catch (error) {
      // The clone may exist all the same (StartVM's deadline cut the wait short): names are unique
      // in a folder, so look for it there and hand it back.
      const orphan = await this.vcenter
        .findByInventoryPath(`${placement.folderPath}/${name}`)
        .catch(() => undefined);
      const failure = new Error(`Can't clone to vm ${name}: ${(error as Error).message}`, { cause: error });
      throw orphan ? await this.#handBack(orphan, name, failure) : failure;
    }
    try {
      const uuid = textOf((await this.vcenter.properties(vm, ['config.uuid'], signal))['config.uuid']);
      if (!uuid) throw new Error('the clone has no config.uuid');
      const cpu = request.spec.vcpus > 0 ? `<numCPUs>${request.spec.vcpus}</numCPUs>` : '';
      const memory = request.spec.memoryMiB > 0 ? `<memoryMB>${request.spec.memoryMiB}</memoryMB>` : '';
      if (cpu || memory)
        await this.vcenter.runTask('ReconfigVM_Task', vm, `<spec>${cpu}${memory}</spec>`, signal);
      await this.vcenter.runTask('PowerOnVM_Task', vm, '', signal);
      this.context.log(`VM ${name}, UUID ${uuid} created`);
      const ip = await this.#address(vm, signal);
      this.context.log(`CreateInstance VM name ${name} UUID ${uuid} done`);
      return { id: uuid, name, ips: [ip] };
    } catch (error) {
      throw await this.#handBack(
        vm,
        name,
        new Error(`vsphere: VM ${name}: ${(error as Error).message}`, { cause: error }),
      );
    }
  }

  /**
   * A clone whose create failed: handed to the daemon by its UUID to delete, or, when not even the
   * UUID can be read, removed here.
   */
  async #handBack(vm: MoRef, name: string, failure: Error): Promise<Error> {
    // Without the create's signal: it may be what aborted.
    const uuid = await this.vcenter
      .properties(vm, ['config.uuid'])
      .then((properties) => textOf(properties['config.uuid']))
      .catch(() => '');
    if (uuid)
      return new InstanceCreationError(failure.message, {
        instance: { id: uuid, name },
        cause: failure.cause,
      });
    await this.#destroy(vm).catch((error: unknown) => {
      failure.message += `; removing the clone failed too: ${(error as Error).message}`;
    });
    return failure;
  }

  /** Powers the VM off when it is on, then destroys it. */
  async #destroy(vm: MoRef, signal?: AbortSignal): Promise<void> {
    const power = textOf(
      (await this.vcenter.properties(vm, ['runtime.powerState'], signal))['runtime.powerState'],
    );
    if (power === 'poweredOn') await this.vcenter.runTask('PowerOffVM_Task', vm, '', signal);
    await this.vcenter.runTask('Destroy_Task', vm, '', signal);
  }

  async deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    const uuid = id.trim().toLowerCase();
    if (uuid === '') throw new Error('DeleteInstance no VM UUID available');
    this.context.log(`Deleting VM UUID ${uuid}`);
    const vm = await this.vcenter.findByUuid(await this.#datacenter(), uuid, signal);
    if (!vm) {
      this.context.log(`VM UUID ${uuid} was already gone`);
      return;
    }
    try {
      await this.#destroy(vm, signal);
    } catch (error) {
      // Deleted meanwhile (a StopVM racing a sweep) is what was asked for.
      if (error instanceof SoapFault && error.faultType === 'ManagedObjectNotFound') return;
      throw new Error(`deleting VM UUID ${uuid}: ${(error as Error).message}`, { cause: error });
    }
    this.context.log(`DeleteInstance VM UUID ${uuid} done`);
  }

  async listInstances(signal?: AbortSignal): Promise<OwnedInstance[]> {
    const owned: OwnedInstance[] = [];
    for (const { properties } of await this.vcenter.virtualMachines(
      ['name', 'config.uuid', 'config.extraConfig'],
      signal,
    )) {
      const config = optionValues(properties['config.extraConfig']);
      const tags: Record<string, string> = {};
      for (const [key, value] of Object.entries(config))
        if (key.startsWith(TAG_PREFIX)) tags[key.slice(TAG_PREFIX.length)] = value;
      if (!isOwnedBy(tags, this.context.owner)) continue;
      owned.push({
        id: textOf(properties['config.uuid']),
        name: textOf(properties.name),
        sandboxId: tags[OWNER_TAG_SANDBOX] ?? '',
        createdAt: new Date(tags.created ?? 0),
        tags,
      });
    }
    return owned;
  }

  async verifyConfig(): Promise<void> {
    await findTemplate(this.vcenter, this.settings);
  }

  async teardown(): Promise<void> {
    this.context.log(`Logout user ${this.settings.username}`);
    await this.vcenter.logout();
  }

  /** Looked up once; a failed lookup is tried again at the next call. */
  #datacenter(): Promise<MoRef> {
    this.#datacenterRef ??= findPath(this.vcenter, this.settings.datacenter, 'datacenter').catch(
      (error: unknown) => {
        this.#datacenterRef = undefined;
        throw error;
      },
    );
    return this.#datacenterRef;
  }

  /** Looked up once; a failed lookup is tried again at the next create. */
  #place(): Promise<Placement> {
    this.#placement ??= placementFor(this.vcenter, this.settings).catch((error: unknown) => {
      this.#placement = undefined;
      throw error;
    });
    return this.#placement;
  }

  async #address(vm: MoRef, signal: AbortSignal): Promise<string> {
    this.context.log('Start waiting for cloned vm ip');
    const deadline = Date.now() + ADDRESS_WAIT_MS;
    let pause = ADDRESS_POLL_FIRST_MS;
    for (;;) {
      const ip = textOf((await this.vcenter.properties(vm, ['guest.ipAddress'], signal))['guest.ipAddress']);
      if (isIPv4(ip)) {
        this.context.log(`VM IP = ${ip}`);
        return ip;
      }
      if (Date.now() > deadline)
        throw new Error(
          `Failed to get IPs for the instance : no IPv4 address in ${ADDRESS_WAIT_MS / 1000} s`,
        );
      await sleep(pause, undefined, { signal });
      pause = Math.min(pause * 2, ADDRESS_POLL_MAX_MS);
    }
  }
}

async function connect(settings: VsphereSettings, context: ProviderContext): Promise<Vcenter> {
  return Vcenter.connect({
    url: settings.url,
    username: settings.username,
    password: settings.password,
    trust: settings.trust,
    log: context.log,
    ...(context.apiCalls ? { apiCalls: context.apiCalls } : {}),
  }).catch((error: unknown) => {
    throw new Error(`error creating vcenter session for cloud provider: ${(error as Error).message}`, {
      cause: error,
    });
  });
}

async function findTemplate(vcenter: Vcenter, settings: VsphereSettings): Promise<MoRef> {
  const path = settings.template.includes('/')
    ? settings.template
    : `${settings.datacenter}/vm/${settings.template}`;
  const template = await vcenter.findByInventoryPath(path);
  if (!template)
    throw new Error(`Cannot find VM template ${settings.template} error: vm '${path}' not found`);
  const isTemplate = textOf((await vcenter.properties(template, ['config.template']))['config.template']);
  if (isTemplate !== 'true') throw new Error(`VM template ${settings.template} error: template not valid`);
  return template;
}

async function findPath(vcenter: Vcenter, path: string, what: string): Promise<MoRef> {
  const ref = await vcenter.findByInventoryPath(path);
  if (!ref) throw new Error(`${what} '${path}' not found`);
  return ref;
}

async function placementFor(vcenter: Vcenter, settings: VsphereSettings): Promise<Placement> {
  const dc = settings.datacenter;
  const find = (path: string, what: string) => findPath(vcenter, path, what);
  await find(dc, 'datacenter');
  let folder = await find(`${dc}/vm`, 'folder');
  let folderPath = `${dc}/vm`;
  for (const part of settings.deployFolder ? settings.deployFolder.split('/') : []) {
    folderPath = `${folderPath}/${part}`;
    folder = (await vcenter.findByInventoryPath(folderPath)) ?? (await vcenter.createFolder(folder, part));
  }
  if (settings.drs) {
    // The cluster's root pool with no host: vCenter's DRS places each clone.
    return {
      folder,
      folderPath,
      pool: await find(`${dc}/host/${settings.cluster}/Resources`, 'resource pool'),
    };
  }
  const parent = settings.cluster ? `${dc}/host/${settings.cluster}` : `${dc}/host/${settings.host}`;
  const host = await find(`${parent}/${settings.host}`, 'host');
  return {
    folder,
    folderPath,
    host,
    pool: await find(`${parent}/Resources`, 'resource pool'),
    datastore: await find(`${dc}/datastore/${settings.datastore}`, 'datastore'),
  };
}
