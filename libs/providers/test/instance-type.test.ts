import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  selectInstanceType,
  sortInstanceTypes,
} from '../src/instance-type';

const t = (name: string, vcpus: number, memoryMiB: number, gpus = 0): InstanceTypeInfo => ({
  name,
  vcpus,
  memoryMiB,
  gpus,
});

// Deliberately unsorted, as a provider reads it from its configuration.
const KNOWN = [
  t('m6a.2xlarge', 8, 32768),
  t('g5.2xlarge', 8, 32768, 1),
  t('m6a.large', 2, 8192),
  t('c6a.xlarge', 4, 8192),
  t('p3.8xlarge', 32, 249856, 4),
  t('m6a.xlarge', 4, 16384),
  t('g5.xlarge', 4, 16384, 1),
  t('c6a.large', 2, 4096),
];
const SORTED = sortInstanceTypes(KNOWN);
const catalog: InstanceTypeCatalog = { defaultType: 'm6a.large', types: SORTED };
const spec = (over: Partial<{ instanceType: string; vcpus: number; memoryMiB: number; gpus: number }>) => ({
  instanceType: '',
  vcpus: 0,
  memoryMiB: 0,
  gpus: 0,
  ...over,
});

describe('sortInstanceTypes', () => {
  test('orders by GPUs, then memory, then vCPUs, ascending, without touching the input', () => {
    assert.deepEqual(
      SORTED.map((x) => x.name),
      [
        'c6a.large',
        'm6a.large',
        'c6a.xlarge',
        'm6a.xlarge',
        'm6a.2xlarge',
        'g5.xlarge',
        'g5.2xlarge',
        'p3.8xlarge',
      ],
    );
    assert.equal(KNOWN[0]!.name, 'm6a.2xlarge');
  });

  test('keeps equal entries in their original order', () => {
    const same = sortInstanceTypes([t('b', 2, 4096), t('a', 2, 4096)]);
    assert.deepEqual(
      same.map((x) => x.name),
      ['b', 'a'],
    );
  });
});

describe('selectInstanceType', () => {
  test('the machine_type annotation wins over everything', () => {
    assert.deepEqual(selectInstanceType(spec({ instanceType: 'm6a.xlarge', vcpus: 32, gpus: 2 }), catalog), {
      instanceType: 'm6a.xlarge',
      basis: 'annotation',
    });
  });

  test('GPUs pick the first type with enough GPUs, vCPUs and memory', () => {
    assert.deepEqual(selectInstanceType(spec({ gpus: 1 }), catalog), {
      instanceType: 'g5.xlarge',
      basis: 'gpus',
    });
    assert.equal(selectInstanceType(spec({ gpus: 1, vcpus: 6 }), catalog).instanceType, 'g5.2xlarge');
    assert.equal(selectInstanceType(spec({ gpus: 1, memoryMiB: 20000 }), catalog).instanceType, 'g5.2xlarge');
    assert.equal(selectInstanceType(spec({ gpus: 2 }), catalog).instanceType, 'p3.8xlarge');
  });

  test('GPUs that no type has: upstream error', () => {
    assert.throws(() => selectInstanceType(spec({ gpus: 8, vcpus: 2, memoryMiB: 4096 }), catalog), {
      message:
        'failed to get instance type based on GPU, vCPU, and memory annotations: ' +
        'no instance type found for the given GPUs (8), vCPUs (2), and memory (4096)',
    });
  });

  test('vCPUs and memory pick the smallest non-GPU type that fits', () => {
    assert.deepEqual(selectInstanceType(spec({ vcpus: 2, memoryMiB: 4096 }), catalog), {
      instanceType: 'c6a.large',
      basis: 'vcpus-memory',
    });
    assert.equal(selectInstanceType(spec({ vcpus: 2, memoryMiB: 6000 }), catalog).instanceType, 'm6a.large');
    assert.equal(selectInstanceType(spec({ vcpus: 3, memoryMiB: 4096 }), catalog).instanceType, 'c6a.xlarge');
    assert.equal(selectInstanceType(spec({ vcpus: 4, memoryMiB: 9000 }), catalog).instanceType, 'm6a.xlarge');
    // 16 GiB with 8 vCPUs: only the 2xlarge fits among non-GPU types; g5 types are never chosen here.
    assert.equal(
      selectInstanceType(spec({ vcpus: 8, memoryMiB: 16384 }), catalog).instanceType,
      'm6a.2xlarge',
    );
  });

  test('vCPUs and memory that only a GPU type could satisfy: upstream error (e2e matches it)', () => {
    const gpuOnly: InstanceTypeCatalog = { defaultType: 'g5.xlarge', types: [t('g5.xlarge', 4, 16384, 1)] };
    assert.throws(() => selectInstanceType(spec({ vcpus: 2, memoryMiB: 4096 }), gpuOnly), {
      message:
        'failed to get instance type based on vCPU and memory annotations: ' +
        'no instance type found for the given vcpus (2) and memory (4096)',
    });
  });

  test('too much memory: the exact string the upstream e2e suite matches', () => {
    const small: InstanceTypeCatalog = {
      defaultType: 'm6a.large',
      types: sortInstanceTypes([t('m6a.large', 2, 8192), t('m6a.xlarge', 4, 16384)]),
    };
    assert.throws(() => selectInstanceType(spec({ vcpus: 2, memoryMiB: 18432 }), small), {
      message:
        'failed to get instance type based on vCPU and memory annotations: no instance type found for the given vcpus (2) and memory (18432)',
    });
  });

  test('a fitting type is found even where "fits" is not monotonic along the sorted list', () => {
    // Sorted: small (8 vCPU, 4 GiB) fits 4 vCPU/4 GiB; the two after it do not. First-match finds it.
    const odd = sortInstanceTypes([t('wide', 8, 4096), t('narrow', 2, 8192), t('narrow-big', 2, 16384)]);
    assert.equal(
      selectInstanceType(spec({ vcpus: 4, memoryMiB: 4096 }), { defaultType: 'narrow', types: odd })
        .instanceType,
      'wide',
    );
  });

  test('only one of vCPUs and memory: the default type', () => {
    assert.deepEqual(selectInstanceType(spec({ vcpus: 64 }), catalog), {
      instanceType: 'm6a.large',
      basis: 'default',
    });
    assert.deepEqual(selectInstanceType(spec({ memoryMiB: 999999 }), catalog), {
      instanceType: 'm6a.large',
      basis: 'default',
    });
  });

  test('nothing requested: the default type, not checked against any list', () => {
    assert.deepEqual(selectInstanceType(spec({}), catalog), { instanceType: 'm6a.large', basis: 'default' });
    assert.deepEqual(selectInstanceType(spec({}), { defaultType: 'not-listed', types: SORTED }), {
      instanceType: 'not-listed',
      basis: 'default',
    });
  });

  test('a requested type outside the supported list: upstream error (e2e matches it)', () => {
    assert.throws(() => selectInstanceType(spec({ instanceType: 'x' }), catalog), {
      message:
        'failed to verify instance type: requested instance type ("x") is not part of supported instance types list',
    });
  });

  test('the supported list can differ from the sized list, as upstream keeps them apart', () => {
    const restricted: InstanceTypeCatalog = { ...catalog, supported: ['m6a.large', 'm6a.xlarge'] };
    assert.equal(
      selectInstanceType(spec({ instanceType: 'm6a.xlarge' }), restricted).instanceType,
      'm6a.xlarge',
    );
    // Best fit picks c6a.large, which the configured list does not allow.
    assert.throws(() => selectInstanceType(spec({ vcpus: 2, memoryMiB: 4096 }), restricted), {
      message:
        'failed to verify instance type: requested instance type ("c6a.large") is not part of supported instance types list',
    });
  });

  test('empty supported list: only the default may be requested', () => {
    const none: InstanceTypeCatalog = {
      defaultType: 'm6a.large',
      types: [t('m6a.large', 2, 8192)],
      supported: [],
    };
    assert.equal(selectInstanceType(spec({ instanceType: 'm6a.large' }), none).instanceType, 'm6a.large');
    assert.throws(() => selectInstanceType(spec({ instanceType: 'm6a.xlarge' }), none), {
      message:
        'failed to verify instance type: requested instance type ("m6a.xlarge") is not default ("m6a.large") ' +
        'and supported instance types list is empty',
    });
  });

  test('empty catalog: a vCPU/memory request has nothing to fit', () => {
    const empty: InstanceTypeCatalog = { defaultType: 'd', types: [] };
    assert.throws(() => selectInstanceType(spec({ vcpus: 1, memoryMiB: 1 }), empty), {
      message:
        'failed to get instance type based on vCPU and memory annotations: no instance type found for the given vcpus (1) and memory (1)',
    });
    assert.throws(() => selectInstanceType(spec({ instanceType: 'e' }), empty), {
      message:
        'failed to verify instance type: requested instance type ("e") is not default ("d") and supported instance types list is empty',
    });
  });

  test('names in messages are quoted the way Go quotes them', () => {
    assert.throws(() => selectInstanceType(spec({ instanceType: 'a"b\\c\n\u0001é' }), catalog), {
      message:
        'failed to verify instance type: requested instance type ("a\\"b\\\\c\\n\\x01é") is not part of supported instance types list',
    });
  });
});
