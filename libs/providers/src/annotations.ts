/**
 * The sandbox annotations kata's remote hypervisor sends in CreateVM (docs/compatibility.md §2.2), and
 * upstream's reading of them (docs/compatibility.md §2.2). Kata sends its final config, so unset
 * values arrive as `"0"` or `""`.
 */
import type { InstanceTypeSpec } from './instance';

export const SANDBOX_NAME_ANNOTATION = 'io.kubernetes.cri.sandbox-name';
export const SANDBOX_NAMESPACE_ANNOTATION = 'io.kubernetes.cri.sandbox-namespace';
/** Read by upstream to filter CSI volumes; kata does not send it. */
export const SANDBOX_UID_ANNOTATION = 'io.kubernetes.cri.sandbox-uid';
export const MACHINE_TYPE_ANNOTATION = 'io.katacontainers.config.hypervisor.machine_type';
export const IMAGE_ANNOTATION = 'io.katacontainers.config.hypervisor.image';
export const VCPUS_ANNOTATION = 'io.katacontainers.config.hypervisor.default_vcpus';
/** MiB. */
export const MEMORY_ANNOTATION = 'io.katacontainers.config.hypervisor.default_memory';
export const GPUS_ANNOTATION = 'io.katacontainers.config.hypervisor.default_gpus';
/** Sent by kata, not read by upstream. */
export const GPU_MODEL_ANNOTATION = 'io.katacontainers.config.hypervisor.default_gpu_model';
/** Raw initdata TOML, already decoded by kata. */
export const INITDATA_ANNOTATION = 'io.katacontainers.config.hypervisor.cc_init_data';

export interface SandboxAnnotations
  extends Pick<InstanceTypeSpec, 'instanceType' | 'image' | 'vcpus' | 'memoryMiB' | 'gpus'> {
  podName: string;
  podNamespace: string;
  /** The raw TOML; `undefined` when absent or empty, meaning "use the global `-initdata`". */
  initdata: string | undefined;
  /**
   * Numeric annotations that were present but not non-negative integers. Upstream silently reads
   * them as 0; they are 0 here too, and listed so the caller can log them or reject the sandbox.
   */
  warnings: readonly string[];
}

// CRI-O names sandboxes `k8s_<pod>_<namespace>_<uid>_<attempt>`; k8s names never contain `_`.
const CRIO_SANDBOX_NAME = /^k8s_([^_]+)_[^_]+_[^_]+_\d+$/;

/** The pod name from the sandbox name, unwrapping CRI-O's form. */
export function podNameFromSandboxName(sandboxName: string): string {
  return CRIO_SANDBOX_NAME.exec(sandboxName)?.[1] ?? sandboxName;
}

// Go's strconv.ParseInt(s, 10, 64) syntax: optional sign, decimal digits.
const GO_INTEGER = /^[+-]?[0-9]+$/;

function readCount(annotations: Readonly<Record<string, string>>, key: string, warnings: string[]): number {
  const text = annotations[key];
  if (text === undefined || text === '') return 0;
  if (!GO_INTEGER.test(text)) {
    warnings.push(`${key}: ${JSON.stringify(text)} is not a number`);
    return 0;
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    warnings.push(`${key}: ${JSON.stringify(text)} is out of range`);
    return 0;
  }
  // Upstream would keep a negative count; kata never sends one, and no provider can use it.
  if (value < 0) {
    warnings.push(`${key}: ${JSON.stringify(text)} is negative`);
    return 0;
  }
  return value;
}

/**
 * Throws when the pod name or namespace is missing, with upstream's messages (CreateVM fails with
 * them; "namespace name" is upstream's wording, not a typo). Numeric
 * annotations that do not parse become 0 and are reported in `warnings`.
 */
export function parseSandboxAnnotations(annotations: Readonly<Record<string, string>>): SandboxAnnotations {
  const podName = podNameFromSandboxName(annotations[SANDBOX_NAME_ANNOTATION] ?? '');
  if (podName === '') throw new Error(`pod name ${SANDBOX_NAME_ANNOTATION} is missing in annotations`);
  const podNamespace = annotations[SANDBOX_NAMESPACE_ANNOTATION] ?? '';
  if (podNamespace === '') {
    throw new Error(`namespace name ${SANDBOX_NAMESPACE_ANNOTATION} is missing in annotations`);
  }
  const warnings: string[] = [];
  const initdata = annotations[INITDATA_ANNOTATION];
  return {
    podName,
    podNamespace,
    instanceType: annotations[MACHINE_TYPE_ANNOTATION] ?? '',
    image: annotations[IMAGE_ANNOTATION] ?? '',
    vcpus: readCount(annotations, VCPUS_ANNOTATION, warnings),
    memoryMiB: readCount(annotations, MEMORY_ANNOTATION, warnings),
    gpus: readCount(annotations, GPUS_ANNOTATION, warnings),
    initdata: initdata === undefined || initdata === '' ? undefined : initdata,
    warnings,
  };
}
