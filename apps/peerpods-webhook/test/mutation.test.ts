// Upstream's unit cases for the pod mutator (and the edges its rules imply), each sent as a real
// AdmissionReview over HTTPS; the returned JSON patch is applied to the pod and the result checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import jsonpatch, { type Operation } from 'fast-json-patch';
import type { AdmissionReview } from '../src/admission-review';
import type { PodObject } from '../src/pod-mutation';
import { pod, startTestWebhook } from './support';

const VCPUS = 'io.katacontainers.config.hypervisor.default_vcpus';
const MEMORY = 'io.katacontainers.config.hypervisor.default_memory';
const GPUS = 'io.katacontainers.config.hypervisor.default_gpus';
const VM = 'kata.peerpods.io/vm';

const webhook = await startTestWebhook();

function patched(original: PodObject, answer: AdmissionReview): PodObject {
  const { response } = answer;
  assert.ok(response?.allowed, JSON.stringify(response));
  if (!response.patch) return original;
  assert.equal(response.patchType, 'JSONPatch');
  const operations = JSON.parse(Buffer.from(response.patch, 'base64').toString()) as Operation[];
  return jsonpatch.applyPatch(structuredClone(original), operations, true, false).newDocument;
}

async function mutated(input: PodObject): Promise<PodObject> {
  return patched(input, await webhook.review(input));
}

const annotationsOf = (result: PodObject) => result.metadata?.annotations ?? {};

/** Every container and init container has no resources but containers[0]'s one pod VM. */
function assertResourcesReplaced(result: PodObject, extended = VM): void {
  const [first, ...others] = result.spec!.containers!;
  assert.deepEqual(first!.resources, { limits: { [extended]: '1' }, requests: { [extended]: '1' } });
  for (const container of [...others, ...(result.spec!.initContainers ?? [])])
    assert.deepEqual(container.resources, {});
}

const cases: {
  name: string;
  containers: { requests?: Record<string, string>; limits?: Record<string, string> }[];
  initContainers?: { requests?: Record<string, string>; limits?: Record<string, string> }[];
  expected: Record<string, string>;
}[] = [
  {
    name: 'CpuMemReqLimit: the limits win',
    containers: [{ requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '3', memory: '5Gi' } }],
    expected: { [VCPUS]: '3', [MEMORY]: '5120' },
  },
  { name: 'CpuReq', containers: [{ requests: { cpu: '2' } }], expected: { [VCPUS]: '2' } },
  { name: 'MemReq', containers: [{ requests: { memory: '4Gi' } }], expected: { [MEMORY]: '4096' } },
  { name: 'GpuReq', containers: [{ requests: { 'nvidia.com/gpu': '1' } }], expected: { [GPUS]: '1' } },
  { name: 'NoReq: no annotations, the pod VM still requested', containers: [{}], expected: {} },
  {
    name: 'CpuMemReqLimitSame',
    containers: [{ requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } }],
    expected: { [VCPUS]: '2', [MEMORY]: '4096' },
  },
  {
    name: 'InitContainers: init containers are added, not maxed',
    initContainers: [{ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } }],
    containers: [
      { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '3', memory: '5Gi' } },
      { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
      { requests: { cpu: '1', 'nvidia.com/gpu': '1' }, limits: { cpu: '1', 'nvidia.com/gpu': '1' } },
    ],
    expected: { [VCPUS]: '6', [MEMORY]: '8192', [GPUS]: '1' },
  },
  {
    name: 'FractionalCpu: rounded up',
    containers: [{ requests: { cpu: '200m', memory: '4Gi' }, limits: { cpu: '500m', memory: '4Gi' } }],
    expected: { [VCPUS]: '1', [MEMORY]: '4096' },
  },
  {
    name: 'FractionalCpuMoreThanOne',
    containers: [{ requests: { cpu: '200m', memory: '4Gi' }, limits: { cpu: '1500m', memory: '4Gi' } }],
    expected: { [VCPUS]: '2', [MEMORY]: '4096' },
  },
  {
    name: 'FractionalCpu_MultipleContainers: 0.7 + 0.5 = 1.2 → 2',
    initContainers: [{ requests: { cpu: '200m', memory: '4Gi' }, limits: { cpu: '0.7', memory: '4Gi' } }],
    containers: [{ requests: { cpu: '200m', memory: '4Gi' }, limits: { cpu: '0.5', memory: '4Gi' } }],
    expected: { [VCPUS]: '2', [MEMORY]: '8192' },
  },
  // The edges of upstream's rules, not in its tests.
  {
    name: 'limits without requests: no annotation',
    containers: [{ limits: { cpu: '2', memory: '1Gi' } }],
    expected: {},
  },
  {
    name: 'a limit below the request: the request',
    containers: [{ requests: { cpu: '3', memory: '2Gi' }, limits: { cpu: '2', memory: '1Gi' } }],
    expected: { [VCPUS]: '3', [MEMORY]: '2048' },
  },
  {
    name: 'decimal memory rounds up to MiB: 1G → 954, 100M → 96 (summed: 1.1e9 B → 1050)',
    containers: [{ requests: { memory: '1G' } }, { requests: { memory: '100M' } }],
    expected: { [MEMORY]: '1050' },
  },
  { name: 'one byte is one MiB', containers: [{ requests: { memory: '1' } }], expected: { [MEMORY]: '1' } },
  {
    name: 'an exponent: 1e3 cores',
    containers: [{ requests: { cpu: '1e3' } }],
    expected: { [VCPUS]: '1000' },
  },
  {
    name: 'half a GPU stays 500m',
    containers: [{ requests: { 'nvidia.com/gpu': '500m' } }],
    expected: { [GPUS]: '500m' },
  },
];

for (const { name, containers, initContainers, expected } of cases) {
  test(name, async () => {
    const result = await mutated(pod({ containers, ...(initContainers ? { initContainers } : {}) }));
    assert.deepEqual(annotationsOf(result), expected);
    assertResourcesReplaced(result);
  });
}

test('NoChangeForDifferentRuntimeClass: allowed, no patch, resources kept', async () => {
  const input = pod({
    runtimeClassName: 'different-runtime',
    containers: [{ requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '3', memory: '5Gi' } }],
  });
  const answer = await webhook.review(input);
  assert.deepEqual(answer.response, {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    allowed: true,
    status: { metadata: {}, code: 200 },
  });
});

test('no runtimeClassName: not a peer pod, no patch', async () => {
  const answer = await webhook.review(
    pod({ runtimeClassName: null, containers: [{ requests: { cpu: '2' } }] }),
  );
  assert.equal(answer.response?.patch, undefined);
  assert.equal(answer.response?.allowed, true);
});

test('annotations the pod already has: ours overwrite theirs, a key we do not compute is kept, others stay', async () => {
  const result = await mutated(
    pod({
      annotations: { [VCPUS]: '8', [MEMORY]: '9999', team: 'a' },
      containers: [{ requests: { cpu: '2' } }],
    }),
  );
  assert.deepEqual(annotationsOf(result), { [VCPUS]: '2', [MEMORY]: '9999', team: 'a' });
});

test('TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE are read for every review', async () => {
  webhook.env.TARGET_RUNTIMECLASS = 'kata-wh-test';
  webhook.env.POD_VM_EXTENDED_RESOURCE = 'example.com/podvm';
  try {
    const skipped = await webhook.review(pod({ containers: [{ requests: { cpu: '1' } }] }));
    assert.equal(skipped.response?.patch, undefined, 'kata-remote is no longer the target');
    const result = await mutated(
      pod({ runtimeClassName: 'kata-wh-test', containers: [{ requests: { cpu: '1' } }, {}] }),
    );
    assertResourcesReplaced(result, 'example.com/podvm');
  } finally {
    webhook.env.TARGET_RUNTIMECLASS = undefined;
    webhook.env.POD_VM_EXTENDED_RESOURCE = undefined;
  }
});

test('the answer echoes the request uid; a v1beta1 review is answered as v1beta1', async () => {
  const input = pod({ containers: [{ requests: { cpu: '1' } }] });
  const answer = await webhook.post({
    apiVersion: 'admission.k8s.io/v1beta1',
    kind: 'AdmissionReview',
    request: { uid: 'beta-uid', object: input },
  });
  const review = JSON.parse(answer.body) as AdmissionReview;
  assert.equal(review.apiVersion, 'admission.k8s.io/v1beta1');
  assert.equal(review.kind, 'AdmissionReview');
  assert.equal(review.response?.uid, 'beta-uid');
  assert.equal(review.response?.allowed, true);
});

test('a pod the webhook cannot read is refused with code 400 and the field: a bad quantity, no containers', async () => {
  const bad = await webhook.review(pod({ containers: [{}, { limits: { memory: '2 gigs' } }] }));
  assert.equal(bad.response?.allowed, false);
  assert.equal(bad.response?.status.code, 400);
  assert.match(
    bad.response?.status.message ?? '',
    /^spec\.containers\[1\]\.resources\.limits\.memory: quantities must match/,
  );
  const empty = pod({});
  empty.spec!.containers = [];
  const none = await webhook.review(empty);
  assert.equal(none.response?.allowed, false);
  assert.match(none.response?.status.message ?? '', /spec\.containers: the pod has no containers/);
  assert.ok(
    webhook.logs.some((line) => line.includes('refused pod default/test-pod')),
    webhook.logs.join('\n'),
  );
});

test('each mutation is logged with its sums and annotations, under [webhook/pod-mutator]', async () => {
  await webhook.review(pod({ name: 'logged', containers: [{ requests: { cpu: '1', memory: '1Gi' } }] }));
  const lines = webhook.logs.filter(
    (line) => line.includes('pod-mutator') && line.includes('default/logged'),
  );
  assert.ok(
    lines.some((line) => line.includes(`${VCPUS}=1`)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((line) => line.includes(`${MEMORY}=1024`)),
    lines.join('\n'),
  );
});
