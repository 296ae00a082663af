import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CreateInstanceRequest,
  type Instance,
  InstanceCreationError,
  type InstanceTypeCatalog,
  isOwnedBy,
  OWNER_TAG_SANDBOX,
  type OwnedInstance,
  ownershipTags,
  type Provider,
  type ProviderContext,
  sortInstanceTypes,
} from '@peerpods/providers';
import { type AuthenticatorInterface, ContainerAuthenticator, IamAuthenticator } from 'ibm-cloud-sdk-core';
import pLimit from 'p-limit';
import { clusterSecurityGroup } from './cluster-security-group';
import { placementTargets } from './placement';
import { apiStatus, describeApiError } from './rest-service';
import type { IbmCloudSettings } from './settings';
import { TaggingClient } from './tagging-client';
import { ibmTagsFrom, ibmTagsOf } from './tags';
import { VpcClient } from './vpc-client';
import type { InstancePrototype, VpcInstance } from './vpc-types';

// Creates and deletes (with their retries) in flight at once; the rest queue here rather than in
// the VPC API's rate limit.
const CONCURRENT_OPERATIONS = 8;
/** How addresses are waited for; upstream polls 10 × 2 s. Tests shorten it. */
export interface AddressPolling {
  intervalMs: number;
  attempts: number;
}

const ADDRESS_POLLING: AddressPolling = { intervalMs: 2000, attempts: 30 };

interface ProfileInfo {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  arch: string;
}

interface ImageInfo {
  id: string;
  arch: string;
}

function authenticator(settings: IbmCloudSettings): AuthenticatorInterface {
  if (settings.apiKey) return new IamAuthenticator({ apikey: settings.apiKey, url: settings.iamEndpoint });
  return new ContainerAuthenticator({
    iamProfileId: settings.iamProfileId,
    crTokenFilename: settings.crTokenFilename,
    url: settings.iamEndpoint,
  });
}

/**
 * Pod VMs as IBM Cloud VPC instances (docs/compatibility.md §7.6): upstream's instance prototype,
 * dedicated-host placement with the host group as fallback, raw user-data, Global Tagging for
 * `coco-pod-vm:<cluster>`, the user's tags and this node's ownership tags.
 */
export class IbmCloudProvider implements Provider {
  readonly #limit = pLimit(CONCURRENT_OPERATIONS);

  private constructor(
    private readonly vpc: VpcClient,
    private readonly tagging: TaggingClient,
    private readonly settings: IbmCloudSettings,
    private readonly context: ProviderContext,
    private readonly profiles: readonly ProfileInfo[],
    private readonly images: readonly ImageInfo[],
    private readonly placement: { host?: string; group?: string },
    private readonly polling: AddressPolling,
  ) {}

  /**
   * Authenticates, fills the VPC and resource group from the primary subnet when not given, picks
   * the dedicated host and group of the zone, adds the cluster's security group, and learns the
   * profiles' sizes and the images' architectures.
   */
  static async start(
    given: IbmCloudSettings,
    context: ProviderContext,
    polling: AddressPolling = ADDRESS_POLLING,
  ): Promise<IbmCloudProvider> {
    const auth = authenticator(given);
    const vpc = new VpcClient(given.vpcEndpoint, auth, context.apiCalls);
    const settings = await fillFromSubnet(given, vpc);
    const placement = await placementTargets(settings, vpc, context.log);
    const clusterGroup = await clusterSecurityGroup(
      settings.containersEndpoint,
      auth,
      settings.clusterId,
      context.apiCalls,
    ).catch((error: unknown) => {
      throw new Error(`cluster error with:\n ${describeApiError(error)}`, { cause: error });
    });
    settings.securityGroupIds = [...settings.securityGroupIds, clusterGroup];

    const names = [...new Set([settings.profileName, ...settings.profileList])];
    const profiles = await Promise.all(
      names.map(async (name): Promise<ProfileInfo> => {
        try {
          const profile = await vpc.getInstanceProfile(name);
          return {
            name,
            vcpus: profile.vcpu_count.value,
            memoryMiB: profile.memory.value * 1024,
            gpus: profile.gpu_count?.value ?? 0,
            arch: profile.vcpu_architecture.value,
          };
        } catch (error) {
          throw new Error(`instance profile name ${name} not found, due to ${describeApiError(error)}`, {
            cause: error,
          });
        }
      }),
    );
    const images: ImageInfo[] = [];
    for (const id of settings.imageIds) {
      try {
        const image = await vpc.getImage(id);
        images.push({ id, arch: image.operating_system?.architecture ?? '' });
      } catch (error) {
        context.log(`skipping image (${id}), due to ${describeApiError(error)}`);
      }
    }
    // Upstream's words, typo included.
    if (images.length === 0) throw new Error('no images valid images found');
    context.log(
      `vpc ${settings.vpcEndpoint}, zone ${settings.zone}, vpc ${settings.vpcId}, subnet ${settings.primarySubnetId}, ` +
        `security groups ${settings.securityGroupIds.join(', ')}, profiles ${profiles.map((p) => `${p.name} (${p.arch})`).join(', ')}, ` +
        `images ${images.map((i) => `${i.id} (${i.arch})`).join(', ')}, credentials from ${settings.apiKey ? 'an API key' : 'a trusted profile'}` +
        `${settings.disableCvm ? '' : ', confidential (TDX, secure boot)'}`,
    );
    return new IbmCloudProvider(
      vpc,
      new TaggingClient(settings.taggingEndpoint, auth, context.apiCalls),
      settings,
      context,
      profiles,
      images,
      placement,
      polling,
    );
  }

  /** For `sweep`: lists and deletes; no profile, image or security group lookups. */
  static async forSweep(given: IbmCloudSettings, context: ProviderContext): Promise<IbmCloudProvider> {
    const auth = authenticator(given);
    const vpc = new VpcClient(given.vpcEndpoint, auth, context.apiCalls);
    const settings = await fillFromSubnet(given, vpc);
    return new IbmCloudProvider(
      vpc,
      new TaggingClient(settings.taggingEndpoint, auth, context.apiCalls),
      settings,
      context,
      [],
      [],
      {},
      ADDRESS_POLLING,
    );
  }

  instanceTypeCatalog(): InstanceTypeCatalog {
    return {
      defaultType: this.settings.profileName,
      types: sortInstanceTypes(this.profiles),
      supported: this.settings.profileList,
    };
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    const profile = request.spec.instanceType || this.settings.profileName;
    const prototype: InstancePrototype = {
      name: request.instanceName,
      image: { id: this.#image(request, profile) },
      profile: { name: profile },
      zone: { name: this.settings.zone },
      vpc: { id: this.settings.vpcId },
      primary_network_interface: {
        subnet: { id: this.settings.primarySubnetId },
        security_groups: this.settings.securityGroupIds.map((id) => ({ id })),
      },
      ...(this.settings.secondarySubnetId
        ? {
            network_interfaces: [
              {
                allow_ip_spoofing: true,
                subnet: { id: this.settings.secondarySubnetId },
                ...(this.settings.secondarySecurityGroupId
                  ? { security_groups: [{ id: this.settings.secondarySecurityGroupId }] }
                  : {}),
              },
            ],
          }
        : {}),
      ...(this.settings.keyId ? { keys: [{ id: this.settings.keyId }] } : {}),
      ...(this.settings.resourceGroupId ? { resource_group: { id: this.settings.resourceGroupId } } : {}),
      // Raw: the pod VM reads it back as it was given.
      user_data: request.userData,
      metadata_service: { enabled: true, protocol: 'http' },
      confidential_compute_mode: this.settings.disableCvm ? 'disabled' : 'tdx',
      enable_secure_boot: !this.settings.disableCvm,
    };
    this.context.log(`CreateInstance: name: ${JSON.stringify(request.instanceName)}`);
    const created = await this.#limit(() => this.#post(prototype, request.signal)).catch(
      async (error: unknown) => {
        throw await this.#creationFailure(request.instanceName, error);
      },
    );
    const partial = { id: created.id, name: created.name };
    try {
      const instance = await this.#withAddresses(created, request.signal);
      const ips = addresses(instance) ?? [];
      const tags = [
        `coco-pod-vm:${this.settings.clusterId}`,
        ...this.settings.tags,
        ...ibmTagsOf(ownershipTags(this.context.owner, request.sandboxId)),
      ];
      if (!created.crn) {
        throw new Error(
          "failed to get attach tag options: missing vpc instance crn, can't create attach tag options",
        );
      }
      await this.tagging.attach(created.crn, tags, request.signal).catch((error: unknown) => {
        throw new Error(`failed to attach tags: ${describeApiError(error)}`, { cause: error });
      });
      this.context.log(`created instance ${created.name} (${created.id}, ${profile}) at ${ips.join(', ')}`);
      return { id: created.id, name: created.name, ips };
    } catch (error) {
      throw new InstanceCreationError(`ibmcloud: instance ${created.name}: ${(error as Error).message}`, {
        instance: partial,
        cause: error,
      });
    }
  }

  async deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    await this.#limit(async () => {
      try {
        await this.vpc.deleteInstance(id, signal);
        this.context.log(`deleted an instance ${id}`);
      } catch (error) {
        // Gone already is what was asked for (upstream returns the 404 and peerpod-ctrl retries it).
        if (apiStatus(error) === 404) {
          this.context.log(`instance ${id} was already gone`);
          return;
        }
        throw new Error(`failed to delete an instance: ${describeApiError(error)}`, { cause: error });
      }
    });
  }

  async listInstances(signal?: AbortSignal): Promise<OwnedInstance[]> {
    const owned: OwnedInstance[] = [];
    for (const instance of await this.vpc.listInstances(this.settings.vpcId, signal)) {
      if (!instance.name.startsWith('podvm-') || instance.status === 'deleting') continue;
      const tags = ibmTagsFrom(await this.tagging.list(instance.crn, signal));
      if (!isOwnedBy(tags, this.context.owner)) continue;
      owned.push({
        id: instance.id,
        name: instance.name,
        sandboxId: tags[OWNER_TAG_SANDBOX] ?? '',
        createdAt: new Date(instance.created_at),
        tags,
      });
    }
    return owned;
  }

  async verifyConfig(): Promise<void> {
    if (this.settings.imageIds.length === 0) throw new Error('image-id is empty');
    for (const id of this.settings.imageIds) {
      await this.vpc.getImage(id).catch((error: unknown) => {
        throw new Error(`-image-id ${id}: ${describeApiError(error)}`, { cause: error });
      });
    }
  }

  async teardown(): Promise<void> {
    this.#limit.clearQueue();
  }

  /**
   * A create that failed without a definite refusal (a 5xx, a lost answer) may have made the
   * instance: VPC has no idempotency token, but names are unique, so it is looked up by name and
   * handed to the daemon to delete.
   */
  async #creationFailure(name: string, error: unknown): Promise<Error> {
    const status = apiStatus((error as Error).cause ?? error);
    if (status !== undefined && status >= 400 && status < 500) return error as Error;
    const orphan = await this.vpc.findInstanceByName(this.settings.vpcId, name).catch(() => undefined);
    if (!orphan) return error as Error;
    this.context.log(`instance ${orphan.id} (${name}) exists although its create failed; it will be deleted`);
    return new InstanceCreationError((error as Error).message, {
      instance: { id: orphan.id, name },
      cause: error,
    });
  }

  /** The annotation's image, else the first configured image of the profile's architecture. */
  #image(request: CreateInstanceRequest, profile: string): string {
    if (request.spec.image) {
      this.context.log(
        `Choosing ${request.spec.image} from annotation as the IBM Cloud Image for the PodVM image`,
      );
      return request.spec.image;
    }
    const arch =
      request.spec.arch || this.profiles.find((candidate) => candidate.name === profile)?.arch || '';
    const image = this.images.find((candidate) => arch === '' || candidate.arch === arch);
    if (!image) throw new Error('unable to find matching image to use');
    this.context.log(`selected image with ID <${image.id}> out of ${this.images.length} images`);
    return image.id;
  }

  /** POST /instances on the dedicated host, falling back to the host group when the host refuses. */
  async #post(prototype: InstancePrototype, signal: AbortSignal): Promise<VpcInstance> {
    const { host, group } = this.placement;
    const target = host ?? group;
    try {
      return await this.vpc.createInstance(
        target ? { ...prototype, placement_target: { id: target } } : prototype,
        signal,
      );
    } catch (error) {
      if (!(host && group) || signal.aborted) {
        throw new Error(`failed to create an instance: ${describeApiError(error)}`, { cause: error });
      }
      this.context.log(
        `warning, creation failed on dedicated host "${host}": ${describeApiError(error)}; retrying on dedicated host group "${group}"`,
      );
      try {
        return await this.vpc.createInstance({ ...prototype, placement_target: { id: group } }, signal);
      } catch (fallback) {
        throw new Error(
          `instance creation on dedicated host "${host}" failed: ${describeApiError(error)}\n` +
            `fallback instance creation on dedicated host group "${group}" failed: ${describeApiError(fallback)}`,
          { cause: fallback },
        );
      }
    }
  }

  /** The instance once every interface, the primary included, has an address. */
  async #withAddresses(created: VpcInstance, signal: AbortSignal): Promise<VpcInstance> {
    let instance = created;
    for (let attempt = 1; ; attempt++) {
      if (addresses(instance)) return instance;
      if (attempt >= this.polling.attempts) {
        throw new Error(`instance ${created.id} network addresses not ready after ${attempt} attempts`);
      }
      await sleep(this.polling.intervalMs, undefined, { signal });
      instance = await this.vpc.getInstance(created.id, signal).catch((error: unknown) => {
        throw new Error(`failed to get an instance : ${describeApiError(error)}`, { cause: error });
      });
    }
  }
}

/** Every interface's address, primary first; undefined while one has none yet (or 0.0.0.0). */
function addresses(instance: VpcInstance): string[] | undefined {
  const primary = instance.primary_network_interface;
  const interfaces = [primary, ...(instance.network_interfaces ?? []).filter((nic) => nic.id !== primary.id)];
  const ips = interfaces.map((nic) => nic.primary_ip?.address ?? '');
  return ips.every((ip) => ip !== '' && ip !== '0.0.0.0') ? ips : undefined;
}

/** The VPC and resource group of the primary subnet, for those not given (upstream does this on IKS). */
async function fillFromSubnet(given: IbmCloudSettings, vpc: VpcClient): Promise<IbmCloudSettings> {
  const settings = { ...given, securityGroupIds: [...given.securityGroupIds] };
  if (settings.vpcId && settings.resourceGroupId) return settings;
  const subnet = await vpc.getSubnet(settings.primarySubnetId).catch((error: unknown) => {
    throw new Error(`-primary-subnet-id ${settings.primarySubnetId}: ${describeApiError(error)}`, {
      cause: error,
    });
  });
  settings.vpcId ||= subnet.vpc.id;
  settings.resourceGroupId ||= subnet.resource_group?.id ?? '';
  return settings;
}
