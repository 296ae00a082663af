/**
 * Which cloud instance type a pod VM gets (docs/compatibility.md §2.4): the `machine_type` annotation,
 * else the smallest GPU type that fits, else the smallest non-GPU type that fits the vCPU and memory
 * annotations, else the provider's default; then the choice is checked against the supported list.
 * Error messages are upstream's, byte for byte: the upstream e2e suite matches them in pod events.
 */
import { goQuote } from './go-quote';
import type { InstanceTypeSpec } from './instance';

/** One instance type as the provider learned it from the cloud. */
export interface InstanceTypeInfo {
  name: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export interface InstanceTypeCatalog {
  /** The provider's configured default type (`-instance-type`, `-instance-size`, ...). */
  defaultType: string;
  /** Known types with their sizes, ordered by `sortInstanceTypes`; best-fit picks the first that fits. */
  types: readonly InstanceTypeInfo[];
  /**
   * Names a requested type must be among: upstream checks the configured list (`*_INSTANCE_TYPES`),
   * which may be empty while `types` holds the default. Defaults to the names in `types`.
   */
  supported?: readonly string[];
}

export type InstanceTypeBasis = 'annotation' | 'gpus' | 'vcpus-memory' | 'default';

export interface InstanceTypeSelection {
  instanceType: string;
  /** What decided it, for the provider's log line. */
  basis: InstanceTypeBasis;
}

type SizeRequest = Pick<InstanceTypeSpec, 'instanceType' | 'vcpus' | 'memoryMiB' | 'gpus'>;

/** Ascending by GPUs, then memory, then vCPUs, as upstream sorts; returns a new array. */
export function sortInstanceTypes<T extends InstanceTypeInfo>(types: readonly T[]): T[] {
  return [...types].sort((a, b) => a.gpus - b.gpus || a.memoryMiB - b.memoryMiB || a.vcpus - b.vcpus);
}

// Upstream binary-searches the sorted list; on lists where "fits" is not monotonic that can skip a
// fitting type. The spec fixes the intended behaviour as first-match on the sorted list.
function firstFit(types: readonly InstanceTypeInfo[], fits: (type: InstanceTypeInfo) => boolean) {
  return types.find(fits)?.name;
}

function pick(spec: SizeRequest, catalog: InstanceTypeCatalog): InstanceTypeSelection | undefined {
  if (spec.instanceType !== '') return { instanceType: spec.instanceType, basis: 'annotation' };
  if (spec.gpus > 0) {
    const found = firstFit(
      catalog.types,
      (t) => t.gpus >= spec.gpus && t.vcpus >= spec.vcpus && t.memoryMiB >= spec.memoryMiB,
    );
    if (found === undefined) {
      throw new Error(
        'failed to get instance type based on GPU, vCPU, and memory annotations: ' +
          `no instance type found for the given GPUs (${spec.gpus}), vCPUs (${spec.vcpus}), and memory (${spec.memoryMiB})`,
      );
    }
    return { instanceType: found, basis: 'gpus' };
  }
  // Only one of the two set is not enough: upstream then falls through to the default.
  if (spec.vcpus !== 0 && spec.memoryMiB !== 0) {
    const found = firstFit(
      catalog.types,
      (t) => t.gpus === 0 && t.memoryMiB >= spec.memoryMiB && t.vcpus >= spec.vcpus,
    );
    if (found === undefined) {
      throw new Error(
        'failed to get instance type based on vCPU and memory annotations: ' +
          `no instance type found for the given vcpus (${spec.vcpus}) and memory (${spec.memoryMiB})`,
      );
    }
    return { instanceType: found, basis: 'vcpus-memory' };
  }
  return undefined;
}

/** Upstream's verification step; its errors are wrapped as `failed to verify instance type: ...`. */
function verify(instanceType: string, catalog: InstanceTypeCatalog): void {
  const supported = catalog.supported ?? catalog.types.map((t) => t.name);
  let problem: string | undefined;
  if (supported.length === 0 && instanceType !== catalog.defaultType) {
    problem =
      `requested instance type (${goQuote(instanceType)}) is not default (${goQuote(catalog.defaultType)}) ` +
      'and supported instance types list is empty';
  } else if (supported.length > 0 && !supported.includes(instanceType)) {
    problem = `requested instance type (${goQuote(instanceType)}) is not part of supported instance types list`;
  }
  if (problem !== undefined) throw new Error(`failed to verify instance type: ${problem}`);
}

/** Throws an `Error` whose message is upstream's, to surface unchanged as `creating an instance : <message>`. */
export function selectInstanceType(spec: SizeRequest, catalog: InstanceTypeCatalog): InstanceTypeSelection {
  const picked = pick(spec, catalog);
  // An empty choice (no annotation and an empty default) is the default, and is not checked.
  if (picked === undefined || picked.instanceType === '') {
    return { instanceType: catalog.defaultType, basis: 'default' };
  }
  verify(picked.instanceType, catalog);
  return picked;
}
