import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  type Instance as Ec2Instance,
  paginateDescribeInstances,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  type CreateInstanceRequest,
  encodeUserData,
  type Instance,
  InstanceCreationError,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  OWNER_TAG_CLUSTER,
  OWNER_TAG_NODE,
  OWNER_TAG_SANDBOX,
  type OwnedInstance,
  ownershipTags,
  type Provider,
  type ProviderContext,
  sortInstanceTypes,
} from '@peerpods/providers';
import pLimit from 'p-limit';
import { observeEc2Calls } from './api-call-observer';
import { clientToken } from './client-token';
import { describeError, isDefinitiveRejection, isNotFound } from './ec2-errors';
import { type AwsSettings, checkCreateSettings } from './settings';
import { fillFromWorker, WorkerMetadata } from './worker-metadata';

// At most this many RunInstances and TerminateInstances requests (with their retries) are out at
// once; the rest queue here rather than in EC2's throttle, where they would burn retries and the
// account's shared request budget. Waiting for an address is outside the bound.
const CONCURRENT_OPERATIONS = 8;
// The SDK retries throttling, 5xx and connection errors with exponential backoff and jitter.
const MAX_ATTEMPTS = 10;
// How long EC2 may take before a new instance shows in Describe calls, and to report an address.
const CONSISTENCY_WINDOW_MS = 60_000;
const RUNNING_WAIT_MS = 120_000;
const POLL_MS = 1000;
// A create whose outcome is unknown (lost answer, abort): how long its ClientToken is looked up.
const ORPHAN_LOOKUP_MS = 30_000;
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/**
 * Pod VMs as EC2 instances, through the official SDK. Every create carries a ClientToken derived from
 * the sandbox id, so no retry makes a second instance; every instance carries Name, the user's tags
 * and this node's ownership tags (docs/compatibility.md §1.3, §7.2); deleting an instance that is already
 * gone is success.
 */
export class AwsProvider implements Provider {
  readonly #limit = pLimit(CONCURRENT_OPERATIONS);
  readonly #rootDevices = new Map<string, Promise<{ name: string; sizeGiB: number }>>();
  /** Instances this process launched, by id, with their launch time (eventual consistency on delete). */
  readonly #launched = new Map<string, number>();

  private constructor(
    private readonly ec2: EC2Client,
    private readonly settings: AwsSettings,
    private readonly context: ProviderContext,
    private readonly catalog: InstanceTypeCatalog,
  ) {}

  /** Creates the client and learns the configured instance types' sizes from DescribeInstanceTypes. */
  static async start(given: AwsSettings, context: ProviderContext): Promise<AwsProvider> {
    checkCreateSettings(given);
    // As upstream: what is not configured is the worker's own (it runs on EC2 itself).
    const settings = await fillFromWorker(given, new WorkerMetadata(), context.log);
    const ec2 = createClient(settings, context);
    try {
      const catalog = await instanceTypeCatalog(ec2, settings);
      context.log(
        `region ${settings.region}${settings.endpoint ? `, endpoint ${settings.endpoint}` : ''}, ` +
          `credentials from ${credentialSource(settings)}, instance types ${catalog.types.map((t) => t.name).join(', ')}`,
      );
      return new AwsProvider(ec2, settings, context, catalog);
    } catch (error) {
      ec2.destroy();
      throw new Error(`aws: ${describeError(error)}`, { cause: error });
    }
  }

  /** For `sweep`: lists and deletes without the create-time checks and lookups. */
  static async forSweep(given: AwsSettings, context: ProviderContext): Promise<AwsProvider> {
    const settings = given.region
      ? given
      : {
          ...given,
          region: await new WorkerMetadata().region().catch((error: unknown) => {
            throw new Error(
              `-aws-region (AWS_REGION) is empty and the worker's instance metadata did not give it (${(error as Error).message}); set it`,
            );
          }),
        };
    return new AwsProvider(createClient(settings, context), settings, context, {
      defaultType: settings.instanceType,
      types: [],
    });
  }

  instanceTypeCatalog(): InstanceTypeCatalog {
    return this.catalog;
  }

  createInstance(request: CreateInstanceRequest): Promise<Instance> {
    return this.#create(request);
  }

  deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    return this.#limit(() => this.#delete(id, signal));
  }

  async listInstances(signal?: AbortSignal): Promise<OwnedInstance[]> {
    const { owner } = this.context;
    const filters = [
      { Name: `tag:${OWNER_TAG_NODE}`, Values: [owner.nodeName] },
      ...(owner.clusterId ? [{ Name: `tag:${OWNER_TAG_CLUSTER}`, Values: [owner.clusterId] }] : []),
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ];
    const owned: OwnedInstance[] = [];
    for await (const page of paginateDescribeInstances(
      { client: this.ec2, pageSize: 1000 },
      { Filters: filters },
      ...(signal ? [{ abortSignal: signal } as never] : []),
    )) {
      for (const instance of (page.Reservations ?? []).flatMap(
        (reservation) => reservation.Instances ?? [],
      )) {
        const tags = Object.fromEntries((instance.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
        owned.push({
          id: instance.InstanceId ?? '',
          name: tags.Name ?? '',
          sandboxId: tags[OWNER_TAG_SANDBOX] ?? '',
          createdAt: instance.LaunchTime ?? new Date(0),
          tags,
        });
      }
    }
    return owned;
  }

  async verifyConfig(): Promise<void> {
    checkCreateSettings(this.settings);
    if (!this.settings.useLaunchTemplate) await this.#rootDevice(this.settings.imageId);
  }

  async teardown(): Promise<void> {
    this.#limit.clearQueue();
    this.ec2.destroy();
  }

  async #create(request: CreateInstanceRequest): Promise<Instance> {
    const { settings } = this;
    if (request.spec.multiNic) {
      throw new Error(
        'aws: a second network interface (-ext-network-via-podvm) is not supported by this provider yet',
      );
    }
    const token = clientToken(request.sandboxId);
    const input = await this.#runInput(request, token);
    request.signal.throwIfAborted();
    let launched: Ec2Instance | undefined;
    try {
      // Only the request queues under the bound, not the wait for an address.
      const output = await this.#limit(() =>
        this.ec2.send(new RunInstancesCommand(input), { abortSignal: request.signal }),
      );
      launched = output.Instances?.[0];
    } catch (error) {
      if (!isDefinitiveRejection(error)) {
        // The instance may exist although no answer said so: find it by its token so it is deleted.
        const orphan = await this.#findByToken(token);
        if (orphan) {
          this.context.log(
            `instance ${orphan} of sandbox ${request.sandboxId} exists although RunInstances failed`,
          );
          throw new InstanceCreationError(`aws: RunInstances: ${describeError(error)}`, {
            instance: { id: orphan, name: request.instanceName },
            cause: error,
          });
        }
      }
      throw new Error(`aws: RunInstances: ${describeError(error)}`, { cause: error });
    }
    const id = launched?.InstanceId;
    if (!launched || !id) throw new Error('aws: RunInstances answered without an instance');
    this.#launched.set(id, Date.now());
    try {
      const ips = await this.#addresses(launched, request.signal);
      this.context.log(
        `created instance ${id} (${request.instanceName}, ${input.InstanceType ?? `template ${settings.launchTemplateName}`}) at ${ips.join(', ')}`,
      );
      return { id, name: request.instanceName, ips };
    } catch (error) {
      throw new InstanceCreationError(`aws: instance ${id}: ${describeError(error)}`, {
        instance: { id, name: request.instanceName },
        cause: error,
      });
    }
  }

  async #runInput(request: CreateInstanceRequest, token: string): Promise<RunInstancesCommandInput> {
    const { settings } = this;
    const tags = {
      ...settings.tags,
      Name: request.instanceName,
      ...ownershipTags(this.context.owner, request.sandboxId),
    };
    const common: RunInstancesCommandInput = {
      MinCount: 1,
      MaxCount: 1,
      ClientToken: token,
      UserData: encodeUserData(request.userData, 'base64'),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    };
    if (settings.useLaunchTemplate) {
      return { ...common, LaunchTemplate: { LaunchTemplateName: settings.launchTemplateName } };
    }
    const imageId = request.spec.image || settings.imageId;
    const root = await this.#rootDevice(imageId);
    const network: Partial<RunInstancesCommandInput> = settings.usePublicIp
      ? {
          NetworkInterfaces: [
            {
              DeviceIndex: 0,
              AssociatePublicIpAddress: true,
              DeleteOnTermination: true,
              ...(settings.subnetId ? { SubnetId: settings.subnetId } : {}),
              ...(settings.securityGroupIds.length > 0 ? { Groups: settings.securityGroupIds } : {}),
            },
          ],
        }
      : {
          ...(settings.subnetId ? { SubnetId: settings.subnetId } : {}),
          ...(settings.securityGroupIds.length > 0 ? { SecurityGroupIds: settings.securityGroupIds } : {}),
        };
    return {
      ...common,
      ImageId: imageId,
      InstanceType: (request.spec.instanceType ||
        settings.instanceType) as RunInstancesCommandInput['InstanceType'],
      ...network,
      ...(settings.keyName ? { KeyName: settings.keyName } : {}),
      ...(settings.disableCvm ? {} : { CpuOptions: { AmdSevSnp: 'enabled' } }),
      BlockDeviceMappings: [
        {
          DeviceName: root.name,
          // EC2 refuses a root volume smaller than the AMI's snapshot.
          Ebs: { VolumeSize: Math.min(Math.max(settings.rootVolumeGiB, root.sizeGiB), 2 ** 31 - 1) },
        },
      ],
    };
  }

  /** The AMI's root device name and size, looked up once per image. */
  #rootDevice(imageId: string): Promise<{ name: string; sizeGiB: number }> {
    let cached = this.#rootDevices.get(imageId);
    if (!cached) {
      cached = (async () => {
        const output = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
        const image = output.Images?.[0];
        if (!image?.RootDeviceName) throw new Error(`aws: image ${imageId} not found or has no root device`);
        const mapping = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
        return { name: image.RootDeviceName, sizeGiB: mapping?.Ebs?.VolumeSize ?? 0 };
      })();
      this.#rootDevices.set(imageId, cached);
      // A failed lookup (throttled, a typo fixed later) is not remembered.
      cached.catch(() => this.#rootDevices.delete(imageId));
    }
    return cached.catch((error: unknown) => {
      throw new Error(`aws: DescribeImages ${imageId}: ${describeError(error)}`, { cause: error });
    });
  }

  /** `[private]`, or `[public, private]` with -use-public-ip; waits for what RunInstances did not yet say. */
  async #addresses(launched: Ec2Instance, signal: AbortSignal): Promise<string[]> {
    const privateIp = usable(launched.PrivateIpAddress ?? launched.NetworkInterfaces?.[0]?.PrivateIpAddress);
    if (privateIp && !this.settings.usePublicIp) return [privateIp];
    const id = launched.InstanceId!;
    const until = Date.now() + RUNNING_WAIT_MS;
    for (;;) {
      signal.throwIfAborted();
      const current = await this.#describe(id, signal);
      const ip = usable(current?.PrivateIpAddress);
      const publicIp = usable(current?.PublicIpAddress);
      const state = current?.State?.Name;
      if (state === 'terminated' || state === 'shutting-down') throw new Error(`it is ${state}`);
      if (ip && !this.settings.usePublicIp) return [ip];
      if (ip && publicIp) return [publicIp, ip];
      if (Date.now() > until) {
        throw new Error(
          `no ${this.settings.usePublicIp ? 'public ' : ''}address within ${RUNNING_WAIT_MS / 1000} s (state ${state ?? 'unknown'})`,
        );
      }
      await sleep(POLL_MS, undefined, { signal });
    }
  }

  /** The instance, or undefined while EC2 does not show it yet (eventual consistency). */
  async #describe(id: string, signal?: AbortSignal): Promise<Ec2Instance | undefined> {
    try {
      const output = await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }), {
        abortSignal: signal,
      });
      return output.Reservations?.[0]?.Instances?.[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async #findByToken(token: string): Promise<string | undefined> {
    const until = Date.now() + ORPHAN_LOOKUP_MS;
    for (;;) {
      try {
        const output = await this.ec2.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: [token] }] }),
          { abortSignal: AbortSignal.timeout(ORPHAN_LOOKUP_MS) },
        );
        const found = output.Reservations?.flatMap((r) => r.Instances ?? []).find(
          (instance) => instance.State?.Name !== 'terminated',
        );
        if (found?.InstanceId) return found.InstanceId;
      } catch (error) {
        this.context.log(`looking up ClientToken ${token.slice(0, 12)}…: ${describeError(error)}`);
      }
      if (Date.now() > until) return undefined;
      await sleep(POLL_MS * 2);
    }
  }

  async #delete(id: string, signal?: AbortSignal): Promise<void> {
    const launchedAt = this.#launched.get(id);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }), { abortSignal: signal });
        this.context.log(`deleted instance ${id}`);
        break;
      } catch (error) {
        if (!isNotFound(error))
          throw new Error(`aws: TerminateInstances ${id}: ${describeError(error)}`, { cause: error });
        // Gone is done, unless this process launched it a moment ago: then EC2 may just not show it yet.
        if (launchedAt === undefined || Date.now() - launchedAt > CONSISTENCY_WINDOW_MS) {
          this.context.log(`instance ${id} is already gone`);
          break;
        }
        await sleep(Math.min(250 * 2 ** attempt, 5000), undefined, { signal });
      }
    }
    this.#launched.delete(id);
  }
}

function createClient(settings: AwsSettings, context: ProviderContext): EC2Client {
  const { credentials } = settings;
  const client = new EC2Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(credentials.kind === 'static'
      ? {
          credentials: {
            accessKeyId: credentials.accessKeyId,
            secretAccessKey: credentials.secretAccessKey,
            ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
          },
        }
      : credentials.kind === 'profile'
        ? { profile: credentials.profile }
        : {}),
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
  });
  if (context.apiCalls) observeEc2Calls(client, context.apiCalls);
  return client;
}

function credentialSource(settings: AwsSettings): string {
  const { credentials } = settings;
  if (credentials.kind === 'static') return 'static keys';
  if (credentials.kind === 'profile') return `profile ${credentials.profile}`;
  return 'the default chain (environment, web identity, shared files, instance role)';
}

async function instanceTypeCatalog(ec2: EC2Client, settings: AwsSettings): Promise<InstanceTypeCatalog> {
  const names = [...new Set([settings.instanceType, ...settings.instanceTypes].filter(Boolean))];
  if (settings.useLaunchTemplate && settings.instanceTypes.length === 0) {
    return { defaultType: settings.instanceType, types: [], supported: [] };
  }
  const output = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: names as never }));
  const types: InstanceTypeInfo[] = (output.InstanceTypes ?? []).map((type) => ({
    name: type.InstanceType ?? '',
    vcpus: type.VCpuInfo?.DefaultVCpus ?? 0,
    memoryMiB: type.MemoryInfo?.SizeInMiB ?? 0,
    gpus: (type.GpuInfo?.Gpus ?? []).reduce((sum, gpu) => sum + (gpu.Count ?? 0), 0),
  }));
  return {
    defaultType: settings.instanceType,
    types: sortInstanceTypes(types),
    supported: settings.instanceTypes,
  };
}

function usable(ip: string | undefined): string | undefined {
  return ip && ip !== '0.0.0.0' ? ip : undefined;
}
