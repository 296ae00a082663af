import { setTimeout as sleep } from 'node:timers/promises';
import { ComputeManagementClient, type VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import type { OperationState, PollerLike } from '@azure/core-lro';
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import {
  type CreateInstanceRequest,
  checkAzureUserDataSize,
  encodeUserData,
  type Instance,
  InstanceCreationError,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  isOwnedBy,
  OWNER_TAG_SANDBOX,
  type OwnedInstance,
  ownershipTags,
  type Provider,
  type ProviderContext,
  sortInstanceTypes,
} from '@peerpods/providers';
import pLimit from 'p-limit';
import { apiCallPolicies } from './api-call-policy';
import { describeError, isNotFound } from './arm-errors';
import type { AzureSettings } from './settings';
import { readPublicKey, throwawayPublicKey } from './ssh-key';

// At most this many create and delete requests go to ARM at once; the rest queue here. The
// operations they start are polled outside the bound.
const CONCURRENT_OPERATIONS = 8;
// core-rest-pipeline retries 5xx and connection errors with exponential backoff and jitter, and
// 429/503 after the Retry-After ARM sends.
const RETRY = { maxRetries: 8, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 };
const POLL_MS = 1000;

/**
 * Pod VMs as Azure VMs, through the official SDKs. One VM create makes the NIC `<name>-net` and OS
 * disk `<name>-disk` (and a public IP) with deleteOption Delete, so deleting the VM removes them;
 * after a failed create whatever still exists is deleted by name.
 */
export class AzureProvider implements Provider {
  readonly #limit = pLimit(CONCURRENT_OPERATIONS);

  private constructor(
    private readonly compute: ComputeManagementClient,
    private readonly network: NetworkManagementClient,
    private readonly settings: AzureSettings,
    private readonly context: ProviderContext,
    private readonly catalog: InstanceTypeCatalog,
    private readonly sshKey: string | undefined,
  ) {}

  static async start(settings: AzureSettings, context: ProviderContext): Promise<AzureProvider> {
    const { compute, network } = clients(settings, context);
    const sshKey = settings.sshKeyPath ? await readPublicKey(settings.sshKeyPath) : undefined;
    let catalog: InstanceTypeCatalog;
    try {
      catalog = await sizeCatalog(compute, settings);
    } catch (error) {
      throw new Error(`azure: listing VM sizes in ${settings.region}: ${describeError(error)}`, {
        cause: error,
      });
    }
    context.log(
      `subscription ${settings.subscriptionId}, resource group ${settings.resourceGroup}, region ${settings.region}, ` +
        `credentials from ${settings.clientSecret ? 'a client secret' : 'the default chain (workload identity, managed identity, ...)'}, ` +
        `sizes ${catalog.types.map((type) => type.name).join(', ')}`,
    );
    return new AzureProvider(compute, network, settings, context, catalog, sshKey);
  }

  static forSweep(settings: AzureSettings, context: ProviderContext): AzureProvider {
    const { compute, network } = clients(settings, context);
    return new AzureProvider(
      compute,
      network,
      settings,
      context,
      { defaultType: settings.instanceSize, types: [] },
      undefined,
    );
  }

  instanceTypeCatalog(): InstanceTypeCatalog {
    return this.catalog;
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    // Refused before any call: ARM would refuse it only after taking the request.
    checkAzureUserDataSize(encodeUserData(request.userData, 'base64'));
    return this.#create(request);
  }

  deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    return this.#delete(vmName(id), signal);
  }

  /**
   * Starts a long-running operation under the concurrency bound and returns its poller once ARM has
   * taken the request: only sending requests queues here, not the minutes a VM takes to be made.
   */
  #submit<T>(
    start: () => PollerLike<OperationState<T>, T>,
  ): Promise<{ poller: PollerLike<OperationState<T>, T> }> {
    return this.#limit(async () => {
      const poller = start();
      await poller.submitted();
      // Wrapped: a poller is a thenable, and returning it bare would wait for the whole operation.
      return { poller };
    });
  }

  async listInstances(signal?: AbortSignal): Promise<OwnedInstance[]> {
    const owned: OwnedInstance[] = [];
    for await (const vm of this.compute.virtualMachines.list(this.settings.resourceGroup, {
      abortSignal: signal,
    })) {
      const tags = vm.tags ?? {};
      if (!isOwnedBy(tags, this.context.owner)) continue;
      owned.push({
        id: vm.id ?? '',
        name: vm.name ?? '',
        sandboxId: tags[OWNER_TAG_SANDBOX] ?? '',
        createdAt: vm.timeCreated ?? new Date(0),
        tags,
      });
    }
    return owned;
  }

  async verifyConfig(): Promise<void> {
    if (this.settings.sshKeyPath) await readPublicKey(this.settings.sshKeyPath);
    if (!this.settings.imageId) throw new Error('-imageid (AZURE_IMAGE_ID) is required');
  }

  async teardown(): Promise<void> {
    this.#limit.clearQueue();
  }

  async #create(request: CreateInstanceRequest): Promise<Instance> {
    const name = request.instanceName;
    const parameters = this.#vmParameters(request);
    let vm: VirtualMachine;
    try {
      const { poller } = await this.#submit(() =>
        this.compute.virtualMachines.createOrUpdate(this.settings.resourceGroup, name, parameters, {
          abortSignal: request.signal,
          updateIntervalInMs: POLL_MS,
        }),
      );
      vm = await poller;
    } catch (error) {
      // Something may exist (the VM in state Failed, or its NIC and disk): the daemon deletes it by id.
      throw new InstanceCreationError(`azure: creating VM ${name}: ${describeError(error)}`, {
        instance: { id: this.#vmId(name), name },
        cause: error,
      });
    }
    try {
      const ips = await this.#addresses(vm, name, request.signal);
      this.context.log(`created VM ${name} (${parameters.hardwareProfile?.vmSize}) at ${ips.join(', ')}`);
      return { id: vm.id ?? this.#vmId(name), name, ips };
    } catch (error) {
      throw new InstanceCreationError(`azure: VM ${name}: ${describeError(error)}`, {
        instance: { id: vm.id ?? this.#vmId(name), name },
        cause: error,
      });
    }
  }

  #vmParameters(request: CreateInstanceRequest): VirtualMachine {
    const { settings } = this;
    const name = request.instanceName;
    const imageId = request.spec.image || settings.imageId;
    const confidential = !settings.disableCvm;
    const keyData = this.sshKey ?? throwawayPublicKey(`${settings.sshUsername}@${name}`);
    return {
      location: settings.region,
      tags: { ...settings.tags, ...ownershipTags(this.context.owner, request.sandboxId) },
      hardwareProfile: { vmSize: request.spec.instanceType || settings.instanceSize },
      storageProfile: {
        imageReference: imageId.startsWith('/CommunityGalleries/')
          ? { communityGalleryImageId: imageId }
          : { id: imageId },
        osDisk: {
          name: `${name}-disk`,
          createOption: 'FromImage',
          caching: 'ReadWrite',
          deleteOption: 'Delete',
          managedDisk: {
            storageAccountType: 'Premium_LRS',
            ...(confidential ? { securityProfile: { securityEncryptionType: 'VMGuestStateOnly' } } : {}),
          },
          ...(settings.rootVolumeGiB > 0 ? { diskSizeGB: settings.rootVolumeGiB } : {}),
        },
      },
      osProfile: {
        adminUsername: settings.sshUsername,
        computerName: name,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: `/home/${settings.sshUsername}/.ssh/authorized_keys`, keyData }] },
        },
      },
      networkProfile: {
        networkApiVersion: '2020-11-01',
        networkInterfaceConfigurations: [
          {
            name: `${name}-net`,
            primary: true,
            deleteOption: 'Delete',
            ...(settings.securityGroupId ? { networkSecurityGroup: { id: settings.securityGroupId } } : {}),
            ipConfigurations: [
              {
                name: 'ip-config',
                primary: true,
                subnet: { id: settings.subnetId },
                ...(settings.usePublicIp
                  ? {
                      publicIPAddressConfiguration: {
                        name: `${name}-ip`,
                        deleteOption: 'Delete',
                        sku: { name: 'Standard' },
                      },
                    }
                  : {}),
              },
            ],
          },
        ],
      },
      ...(confidential
        ? {
            securityProfile: {
              securityType: 'ConfidentialVM',
              uefiSettings: { secureBootEnabled: settings.enableSecureBoot, vTpmEnabled: true },
            },
          }
        : {}),
      diagnosticsProfile: { bootDiagnostics: { enabled: true } },
      userData: encodeUserData(request.userData, 'base64'),
    };
  }

  /** `[private]`, or `[public, private]` with -use-public-ip, from the VM's NIC. */
  async #addresses(vm: VirtualMachine, name: string, signal: AbortSignal): Promise<string[]> {
    const nicId = vm.networkProfile?.networkInterfaces?.[0]?.id;
    const nicName = nicId ? lastSegment(nicId) : `${name}-net`;
    for (;;) {
      const nic = await this.network.networkInterfaces.get(this.settings.resourceGroup, nicName, {
        abortSignal: signal,
      });
      const config = nic.ipConfigurations?.[0];
      const privateIp = config?.privateIPAddress;
      if (privateIp && !this.settings.usePublicIp) return [privateIp];
      const publicId = config?.publicIPAddress?.id;
      if (privateIp && publicId) {
        const address = await this.network.publicIPAddresses.get(
          this.settings.resourceGroup,
          lastSegment(publicId),
          {
            abortSignal: signal,
          },
        );
        if (address.ipAddress) return [address.ipAddress, privateIp];
      }
      await sleep(POLL_MS, undefined, { signal });
    }
  }

  async #delete(name: string, signal?: AbortSignal): Promise<void> {
    const group = this.settings.resourceGroup;
    try {
      const { poller } = await this.#submit(() =>
        this.compute.virtualMachines.delete(group, name, {
          abortSignal: signal,
          updateIntervalInMs: POLL_MS,
        }),
      );
      await poller;
    } catch (error) {
      if (!isNotFound(error))
        throw new Error(`azure: deleting VM ${name}: ${describeError(error)}`, { cause: error });
    }
    // deleteOption Delete takes these with the VM; after a create that failed half-way they may be
    // all that exists. Gone is fine.
    const leftovers: [string, () => Promise<unknown>][] = [
      [
        `NIC ${name}-net`,
        () => this.network.networkInterfaces.delete(group, `${name}-net`, { abortSignal: signal }),
      ],
      [
        `public IP ${name}-ip`,
        () => this.network.publicIPAddresses.delete(group, `${name}-ip`, { abortSignal: signal }),
      ],
      [`disk ${name}-disk`, () => this.compute.disks.delete(group, `${name}-disk`, { abortSignal: signal })],
    ];
    for (const [what, remove] of leftovers) {
      try {
        await remove();
      } catch (error) {
        if (!isNotFound(error))
          throw new Error(`azure: deleting ${what}: ${describeError(error)}`, { cause: error });
      }
    }
    this.context.log(`deleted VM ${name}`);
  }

  #vmId(name: string): string {
    const { subscriptionId, resourceGroup } = this.settings;
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
  }
}

function clients(
  settings: AzureSettings,
  context: ProviderContext,
): {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
} {
  const credential = credentialFor(settings);
  const options = {
    retryOptions: RETRY,
    ...(context.apiCalls ? { additionalPolicies: apiCallPolicies(context.apiCalls) } : {}),
    ...(settings.armEndpoint
      ? { endpoint: settings.armEndpoint, credentials: { scopes: [`${settings.armEndpoint}/.default`] } }
      : {}),
  };
  return {
    compute: new ComputeManagementClient(credential, settings.subscriptionId, options),
    network: new NetworkManagementClient(credential, settings.subscriptionId, options),
  };
}

function credentialFor(settings: AzureSettings): TokenCredential {
  const authority = settings.authorityHost
    ? { authorityHost: settings.authorityHost, disableInstanceDiscovery: true }
    : {};
  if (settings.clientSecret) {
    return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, authority);
  }
  // Workload identity reads AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID.
  return new DefaultAzureCredential({
    ...authority,
    ...(settings.tenantId ? { tenantId: settings.tenantId } : {}),
    ...(settings.clientId
      ? { managedIdentityClientId: settings.clientId, workloadIdentityClientId: settings.clientId }
      : {}),
  });
}

async function sizeCatalog(
  compute: ComputeManagementClient,
  settings: AzureSettings,
): Promise<InstanceTypeCatalog> {
  const wanted = new Set([settings.instanceSize, ...settings.instanceSizes]);
  const types: InstanceTypeInfo[] = [];
  for await (const size of compute.virtualMachineSizes.list(settings.region)) {
    if (!size.name || !wanted.has(size.name)) continue;
    types.push({ name: size.name, vcpus: size.numberOfCores ?? 0, memoryMiB: size.memoryInMB ?? 0, gpus: 0 });
  }
  const missing = [...wanted].filter((name) => !types.some((type) => type.name === name));
  if (missing.length > 0) throw new Error(`no such VM size in ${settings.region}: ${missing.join(', ')}`);
  return {
    defaultType: settings.instanceSize,
    types: sortInstanceTypes(types),
    supported: settings.instanceSizes,
  };
}

/** The VM name in an ARM resource id (`.../virtualMachines/<name>`); a bare name passes through. */
export function vmName(id: string): string {
  return lastSegment(id);
}

function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}
