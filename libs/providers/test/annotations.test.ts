import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  GPUS_ANNOTATION,
  IMAGE_ANNOTATION,
  INITDATA_ANNOTATION,
  MACHINE_TYPE_ANNOTATION,
  MEMORY_ANNOTATION,
  parseSandboxAnnotations,
  podNameFromSandboxName,
  SANDBOX_NAME_ANNOTATION,
  SANDBOX_NAMESPACE_ANNOTATION,
  VCPUS_ANNOTATION,
} from '../src/annotations';

// What the Go kata shim sends for a pod without any peer-pods annotations: its final config.
const KATA_DEFAULTS: Record<string, string> = {
  [SANDBOX_NAME_ANNOTATION]: 'nginx-866fdb5bfb-b98nw',
  [SANDBOX_NAMESPACE_ANNOTATION]: 'default',
  [MACHINE_TYPE_ANNOTATION]: '',
  [IMAGE_ANNOTATION]: '',
  [VCPUS_ANNOTATION]: '0',
  [MEMORY_ANNOTATION]: '0',
  [INITDATA_ANNOTATION]: '',
  [GPUS_ANNOTATION]: '0',
  'io.katacontainers.config.hypervisor.default_gpu_model': '',
};

describe('annotation keys', () => {
  test('are the ones kata sends', () => {
    assert.equal(SANDBOX_NAME_ANNOTATION, 'io.kubernetes.cri.sandbox-name');
    assert.equal(SANDBOX_NAMESPACE_ANNOTATION, 'io.kubernetes.cri.sandbox-namespace');
    assert.equal(MACHINE_TYPE_ANNOTATION, 'io.katacontainers.config.hypervisor.machine_type');
    assert.equal(IMAGE_ANNOTATION, 'io.katacontainers.config.hypervisor.image');
    assert.equal(VCPUS_ANNOTATION, 'io.katacontainers.config.hypervisor.default_vcpus');
    assert.equal(MEMORY_ANNOTATION, 'io.katacontainers.config.hypervisor.default_memory');
    assert.equal(GPUS_ANNOTATION, 'io.katacontainers.config.hypervisor.default_gpus');
    assert.equal(INITDATA_ANNOTATION, 'io.katacontainers.config.hypervisor.cc_init_data');
  });
});

describe('podNameFromSandboxName', () => {
  const cases: [string, string][] = [
    ['nginx', 'nginx'],
    ['k8s_nginx_default_0c3f6a2e-1b2c-4d5e-8f90-1a2b3c4d5e6f_0', 'nginx'],
    ['k8s_web-7d4b9c-x2x_prod_uid_3', 'web-7d4b9c-x2x'],
    // Not CRI-O's shape: kept as is.
    ['k8s_nginx_default_uid', 'k8s_nginx_default_uid'],
    ['k8s_nginx_default_uid_x', 'k8s_nginx_default_uid_x'],
    ['k8s-nginx', 'k8s-nginx'],
    ['', ''],
  ];
  for (const [input, want] of cases) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () =>
      assert.equal(podNameFromSandboxName(input), want));
  }
});

describe('parseSandboxAnnotations', () => {
  test("kata's unset values read as unset", () => {
    assert.deepEqual(parseSandboxAnnotations(KATA_DEFAULTS), {
      podName: 'nginx-866fdb5bfb-b98nw',
      podNamespace: 'default',
      instanceType: '',
      image: '',
      vcpus: 0,
      memoryMiB: 0,
      gpus: 0,
      initdata: undefined,
      warnings: [],
    });
  });

  test('absent keys read as unset too', () => {
    const parsed = parseSandboxAnnotations({
      [SANDBOX_NAME_ANNOTATION]: 'p',
      [SANDBOX_NAMESPACE_ANNOTATION]: 'ns',
    });
    assert.equal(parsed.instanceType, '');
    assert.equal(parsed.vcpus, 0);
    assert.equal(parsed.initdata, undefined);
    assert.deepEqual(parsed.warnings, []);
  });

  test('set values are read', () => {
    const toml = 'algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n';
    const parsed = parseSandboxAnnotations({
      ...KATA_DEFAULTS,
      [MACHINE_TYPE_ANNOTATION]: 't3.small',
      [IMAGE_ANNOTATION]: 'ami-0123',
      [VCPUS_ANNOTATION]: '2',
      [MEMORY_ANNOTATION]: '18432',
      [GPUS_ANNOTATION]: '1',
      [INITDATA_ANNOTATION]: toml,
    });
    assert.equal(parsed.instanceType, 't3.small');
    assert.equal(parsed.image, 'ami-0123');
    assert.equal(parsed.vcpus, 2);
    assert.equal(parsed.memoryMiB, 18432);
    assert.equal(parsed.gpus, 1);
    assert.equal(parsed.initdata, toml);
  });

  test("CRI-O's sandbox name gives the pod name", () => {
    const parsed = parseSandboxAnnotations({
      ...KATA_DEFAULTS,
      [SANDBOX_NAME_ANNOTATION]: 'k8s_busybox_default_5e2c_0',
    });
    assert.equal(parsed.podName, 'busybox');
  });

  test('missing or empty pod name: upstream error', () => {
    const { [SANDBOX_NAME_ANNOTATION]: _, ...noName } = KATA_DEFAULTS;
    const message = 'pod name io.kubernetes.cri.sandbox-name is missing in annotations';
    assert.throws(() => parseSandboxAnnotations(noName), { message });
    assert.throws(() => parseSandboxAnnotations({ ...KATA_DEFAULTS, [SANDBOX_NAME_ANNOTATION]: '' }), {
      message,
    });
  });

  test('missing or empty namespace: upstream error', () => {
    const { [SANDBOX_NAMESPACE_ANNOTATION]: _, ...noNamespace } = KATA_DEFAULTS;
    const message = 'namespace name io.kubernetes.cri.sandbox-namespace is missing in annotations';
    assert.throws(() => parseSandboxAnnotations(noNamespace), { message });
    assert.throws(() => parseSandboxAnnotations({ ...KATA_DEFAULTS, [SANDBOX_NAMESPACE_ANNOTATION]: '' }), {
      message,
    });
  });

  test('the name is checked before the namespace', () => {
    assert.throws(() => parseSandboxAnnotations({}), { message: /^pod name / });
  });

  test("Go ParseInt's syntax is accepted without warnings", () => {
    const parsed = parseSandboxAnnotations({
      ...KATA_DEFAULTS,
      [VCPUS_ANNOTATION]: '+4',
      [MEMORY_ANNOTATION]: '008192',
      [GPUS_ANNOTATION]: '0',
    });
    assert.deepEqual([parsed.vcpus, parsed.memoryMiB, parsed.gpus, parsed.warnings], [4, 8192, 0, []]);
  });

  test('bad numbers read as 0, as upstream does, and are reported', () => {
    const parsed = parseSandboxAnnotations({
      ...KATA_DEFAULTS,
      [VCPUS_ANNOTATION]: 'two',
      [MEMORY_ANNOTATION]: '-1024',
      [GPUS_ANNOTATION]: '99999999999999999999',
    });
    assert.deepEqual([parsed.vcpus, parsed.memoryMiB, parsed.gpus], [0, 0, 0]);
    assert.deepEqual(parsed.warnings, [
      'io.katacontainers.config.hypervisor.default_vcpus: "two" is not a number',
      'io.katacontainers.config.hypervisor.default_memory: "-1024" is negative',
      'io.katacontainers.config.hypervisor.default_gpus: "99999999999999999999" is out of range',
    ]);
  });

  test('forms Go ParseInt rejects are reported, not guessed at', () => {
    for (const text of ['1.5', ' 2', '2 ', '0x10', '1e3', '٣']) {
      const parsed = parseSandboxAnnotations({ ...KATA_DEFAULTS, [VCPUS_ANNOTATION]: text });
      assert.equal(parsed.vcpus, 0, text);
      assert.deepEqual(
        parsed.warnings,
        [`${VCPUS_ANNOTATION}: ${JSON.stringify(text)} is not a number`],
        text,
      );
    }
  });
});
