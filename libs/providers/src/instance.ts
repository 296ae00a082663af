/**
 * What a provider is asked to create and what it hands back. Field meanings follow upstream's
 * `InstanceTypeSpec` and `Instance` (docs/compatibility.md §7.1).
 */

/** The pod VM's shape, from the sandbox annotations plus daemon settings. `''` means "not set". */
export interface InstanceTypeSpec {
  /** `machine_type` annotation; `''` lets the provider select (see `selectInstanceType`). */
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
  /** CPU architecture when the provider knows it (IBM Cloud profiles); otherwise unset. */
  arch?: string;
  /** `image` annotation; `''` means the provider's configured image. */
  image: string;
  /** EXTERNAL_NETWORK_VIA_PODVM: give the VM a second NIC for external traffic. */
  multiNic: boolean;
  /** Cloud volumes to attach (CSI passthrough). */
  volumes: readonly { diskId: string }[];
}

/** A created pod VM. */
export interface Instance {
  /** The key `deleteInstance` (and leak cleanup) accepts: EC2 id, ARM resource id, domain UUID, ... */
  id: string;
  name: string;
  /** `ips[0]` is the address the daemon dials (agent-protocol-forwarder) and tunnels to. */
  ips: readonly string[];
}

/** The part of an instance that exists when creation fails half-way; `id` is what the daemon deletes. */
export interface PartialInstance {
  id: string;
  name?: string;
  ips?: string[];
}

/**
 * A provider that fails after the cloud instance exists throws this with the instance's id, so the
 * daemon deletes the VM instead of leaking it (upstream returns a partial `Instance` with the error).
 */
export class InstanceCreationError extends Error {
  override readonly name = 'InstanceCreationError';
  readonly instance: PartialInstance | undefined;

  constructor(message: string, options: { instance?: PartialInstance; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.instance = options.instance;
  }
}
