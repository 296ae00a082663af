import { ceilDiv, ceilUnits, formatDecimal, parseQuantity, type Quantity, QuantityError } from './quantity';

export const VCPUS_ANNOTATION = 'io.katacontainers.config.hypervisor.default_vcpus';
export const MEMORY_ANNOTATION = 'io.katacontainers.config.hypervisor.default_memory';
export const GPUS_ANNOTATION = 'io.katacontainers.config.hypervisor.default_gpus';
const GPU_RESOURCE = 'nvidia.com/gpu';

/** The parts of a Pod the mutation reads and writes; everything else passes through untouched. */
export interface PodObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: {
    runtimeClassName?: string | null;
    containers?: ContainerObject[];
    initContainers?: ContainerObject[];
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

interface ContainerObject {
  name?: string;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface MutationSettings {
  /** TARGET_RUNTIMECLASS: only pods of this runtime class are changed. */
  runtimeClass: string;
  /** POD_VM_EXTENDED_RESOURCE: what containers[0] requests one of. */
  extendedResource: string;
}

export type MutationResult =
  | { kind: 'skipped' }
  | { kind: 'mutated'; pod: PodObject; sums: ResourceSums; annotations: Record<string, string> };

/** The pod's totals over containers and init containers (upstream adds them; pod overhead is not counted). */
export interface ResourceSums {
  cpuRequest: Quantity;
  cpuLimit: Quantity;
  memoryRequest: Quantity;
  memoryLimit: Quantity;
  gpuRequest: Quantity;
}

/** A pod the webhook cannot mutate, with the field that is wrong. */
export class PodMutationError extends Error {}

// Upstream converts the memory quantity to an int64 byte count first; from 2^63-1 it cannot, and writes "0".
const INT64_MAX = (1n << 63n) - 1n;
const MIB = 1n << 20n;

/**
 * Upstream's mutation, for pods whose runtimeClassName is the target one:
 * - the vCPU and memory annotations from the summed limits when a request is set and the limit is at
 *   least the request, else from the summed requests (vCPUs rounded up, memory rounded up to MiB);
 * - the GPU annotation from the summed `nvidia.com/gpu` requests;
 * - every container's and init container's resources cleared, and containers[0] requesting (and
 *   limited to) one of the extended resource, which is how the scheduler counts pod VMs per node.
 * The input is not changed.
 */
export function mutatePod(pod: PodObject, settings: MutationSettings): MutationResult {
  if (pod.spec?.runtimeClassName !== settings.runtimeClass) return { kind: 'skipped' };
  const mutated = structuredClone(pod);
  const spec = mutated.spec!;
  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  if (containers.length === 0)
    throw new PodMutationError('spec.containers: the pod has no containers to request a pod VM on');
  const sums = sumResources([
    ...containers.map((container, index) => ({ container, path: `spec.containers[${index}]` })),
    ...initContainers.map((container, index) => ({ container, path: `spec.initContainers[${index}]` })),
  ]);

  const annotations: Record<string, string> = {};
  const cpu = chosen(sums.cpuRequest, sums.cpuLimit);
  if (cpu !== undefined) annotations[VCPUS_ANNOTATION] = String(ceilUnits(cpu));
  const memory = chosen(sums.memoryRequest, sums.memoryLimit);
  if (memory !== undefined) {
    annotations[MEMORY_ANNOTATION] =
      memory >= INT64_MAX * 1_000_000_000n ? '0' : String(ceilDiv(ceilUnits(memory), MIB));
  }
  if (sums.gpuRequest > 0n) annotations[GPUS_ANNOTATION] = formatDecimal(sums.gpuRequest);
  if (Object.keys(annotations).length > 0) {
    mutated.metadata ??= {};
    mutated.metadata.annotations = { ...mutated.metadata.annotations, ...annotations };
  }

  for (const container of [...containers, ...initContainers]) container.resources = {};
  containers[0]!.resources = {
    limits: { [settings.extendedResource]: '1' },
    requests: { [settings.extendedResource]: '1' },
  };
  return { kind: 'mutated', pod: mutated, sums, annotations };
}

/** The limit when a request is set and the limit covers it; else the request when there is one. */
function chosen(request: Quantity, limit: Quantity): Quantity | undefined {
  if (request !== 0n && limit >= request) return limit;
  if (request > 0n) return request;
  return undefined;
}

function sumResources(containers: readonly { container: ContainerObject; path: string }[]): ResourceSums {
  const sums: ResourceSums = {
    cpuRequest: 0n,
    cpuLimit: 0n,
    memoryRequest: 0n,
    memoryLimit: 0n,
    gpuRequest: 0n,
  };
  const read = (values: Record<string, string> | undefined, name: string, path: string): Quantity => {
    const text = values?.[name];
    if (text === undefined) return 0n;
    try {
      return parseQuantity(String(text));
    } catch (error) {
      if (error instanceof QuantityError) throw new PodMutationError(`${path}.${name}: ${error.message}`);
      throw error;
    }
  };
  for (const { container, path } of containers) {
    const { requests, limits } = container.resources ?? {};
    sums.cpuRequest += read(requests, 'cpu', `${path}.resources.requests`);
    sums.cpuLimit += read(limits, 'cpu', `${path}.resources.limits`);
    sums.memoryRequest += read(requests, 'memory', `${path}.resources.requests`);
    sums.memoryLimit += read(limits, 'memory', `${path}.resources.limits`);
    sums.gpuRequest += read(requests, GPU_RESOURCE, `${path}.resources.requests`);
  }
  return sums;
}
