/**
 * The contract between the daemon and a cloud provider (docs/compatibility.md §7.1). One factory per cloud
 * is registered; the daemon resolves the factory's options, creates the provider once, and then
 * calls `createInstance` from StartVM and `deleteInstance` from StopVM or failure cleanup.
 */
import type { OptionSpec, OptionValues } from '@peerpods/config';
import type { CloudApiObserver } from './api-calls';
import type { Instance, InstanceTypeSpec } from './instance';
import type { OwnedInstance, Owner } from './ownership';
import type { UserDataEncoding } from './user-data-encoding';

export interface CreateInstanceRequest {
  podName: string;
  /** The 64-hex sandbox id from CreateVM. */
  sandboxId: string;
  /** `instanceName(podName, sandboxId)`, computed by the daemon so certificates can name it first. */
  instanceName: string;
  /** The `#cloud-config` text, not yet encoded: the provider encodes it per `userDataEncoding`. */
  userData: string;
  spec: InstanceTypeSpec;
  /** Aborted when kata's StartVM deadline passes or the daemon shuts down. */
  signal: AbortSignal;
}

export interface Provider {
  /**
   * Resolves once the instance exists and its IPs are known. A failure after the instance exists
   * must throw `InstanceCreationError` carrying the instance id, so the daemon can delete it.
   */
  createInstance(request: CreateInstanceRequest): Promise<Instance>;
  /** `id` is `Instance.id`. */
  deleteInstance(id: string, signal?: AbortSignal): Promise<void>;
  /**
   * Releases clients and connections at daemon shutdown. `keepInstances`: the daemon leaves its
   * running pods to its successor, so whatever they need (a local bridge) must stay.
   */
  teardown(options?: { keepInstances?: boolean }): Promise<void>;
  /** Checks the configuration against the cloud (`-cloud-config-verify`); throws what is wrong. */
  verifyConfig(): Promise<void>;
  /**
   * The instances this node owns (its ownership tags, `ProviderContext.owner`), whatever their state
   * short of gone, with their tags and creation time: what an orphan sweep works from.
   */
  listInstances(signal?: AbortSignal): Promise<OwnedInstance[]>;
}

export interface ProviderContext {
  /** Writes one log line under the provider's prefix. */
  log: (message: string) => void;
  /** Whose instances these are: every instance is tagged with it (see `ownershipTags`). */
  owner: Owner;
  /** Told of each cloud API call the provider makes, with its attempts and throttles (metrics). */
  apiCalls?: CloudApiObserver;
}

export interface ProviderFactory {
  /** The command-line name: `aws`, `azure`, `ibmcloud`, `libvirt`, ... */
  name: string;
  /** One line for `cloud-api-adaptor help`. */
  description: string;
  /** The provider's flags and environment variables, with upstream's names and defaults. */
  options: readonly OptionSpec[];
  userDataEncoding: UserDataEncoding;
  create(config: OptionValues, context: ProviderContext): Promise<Provider>;
  /**
   * What `cloud-api-adaptor <provider> sweep` uses: a provider that can list and delete but skips
   * the start-up work of `create` (instance-type lookups, image checks). Absent: no sweep.
   */
  sweeper?(config: OptionValues, context: ProviderContext): Promise<Sweeper>;
}

/** The part of a provider an orphan sweep needs. */
export type Sweeper = Pick<Provider, 'listInstances' | 'deleteInstance' | 'teardown'>;
