// The fake kube-apiserver checked against the official client, @kubernetes/client-node: what
// cloud-api-adaptor's Kubernetes mode will send (node annotations by merge patch, node capacity by
// JSON patch on the status subresource, pods, service accounts, secrets, PeerPod objects).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { FakeKubeApiserver } from '../src/index';

const fake = await FakeKubeApiserver.start();
after(() => fake.stop());
const config = new KubeConfig();
config.loadFromString(fake.kubeconfig());
const core = config.makeApiClient(CoreV1Api);
const custom = config.makeApiClient(CustomObjectsApi);

test('nodes: an annotation by merge patch, the extended resource added and removed by JSON patch on status', async () => {
  fake.put('nodes', { metadata: { name: 'worker-1' }, status: { capacity: { cpu: '2' } } });
  await core.patchNode(
    { name: 'worker-1', body: { metadata: { annotations: { 'kata.peerpods.io/caa-owner': 'uid-1' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await core.patchNodeStatus(
    { name: 'worker-1', body: [{ op: 'add', path: '/status/capacity/kata.peerpods.io~1vm', value: '10' }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  const node = await core.readNode({ name: 'worker-1' });
  assert.equal(node.metadata?.annotations?.['kata.peerpods.io/caa-owner'], 'uid-1');
  assert.deepEqual({ ...node.status?.capacity }, { cpu: '2', 'kata.peerpods.io/vm': '10' });
  assert.ok(fake.requests.includes('PATCH /api/v1/nodes/worker-1/status application/json-patch+json'));

  // The status subresource does not change metadata, nor the object's endpoint the status.
  await core.patchNodeStatus(
    { name: 'worker-1', body: [{ op: 'remove', path: '/status/capacity/kata.peerpods.io~1vm' }] },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  assert.deepEqual({ ...(await core.readNode({ name: 'worker-1' })).status?.capacity }, { cpu: '2' });
  await assert.rejects(
    core.patchNodeStatus(
      { name: 'worker-1', body: [{ op: 'remove', path: '/status/capacity/kata.peerpods.io~1vm' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    ),
    (error: { code?: number }) => error.code === 422,
  );
  await assert.rejects(core.readNode({ name: 'nope' }), (error: { code?: number; body?: string }) => {
    assert.equal(error.code, 404);
    assert.match(String(error.body), /"reason":"NotFound"/);
    return true;
  });
});

test('pods, service accounts and secrets read as the client models them', async () => {
  fake.put('pods', {
    metadata: { name: 'web', namespace: 'team' },
    spec: {
      serviceAccountName: 'builder',
      imagePullSecrets: [{ name: 'pull' }],
      containers: [{ name: 'c', image: 'nginx' }],
    },
  });
  fake.put('serviceaccounts', {
    metadata: { name: 'builder', namespace: 'team' },
    imagePullSecrets: [{ name: 'sa-pull' }],
  });
  fake.put('secrets', {
    metadata: { name: 'pull', namespace: 'team' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
  });
  const pod = await core.readNamespacedPod({ name: 'web', namespace: 'team' });
  assert.equal(pod.spec?.serviceAccountName, 'builder');
  assert.deepEqual(
    pod.spec?.imagePullSecrets?.map((ref) => ref.name),
    ['pull'],
  );
  assert.ok(pod.metadata?.uid);
  const account = await core.readNamespacedServiceAccount({ name: 'builder', namespace: 'team' });
  assert.deepEqual(
    account.imagePullSecrets?.map((ref) => ref.name),
    ['sa-pull'],
  );
  const secret = await core.readNamespacedSecret({ name: 'pull', namespace: 'team' });
  assert.equal(Buffer.from(secret.data!['.dockerconfigjson']!, 'base64').toString(), '{"auths":{}}');
  await assert.rejects(
    core.readNamespacedSecret({ name: 'pull', namespace: 'other' }),
    (e: { code?: number }) => e.code === 404,
  );
});

test('PeerPod objects: created with generateName, a finalizer and an owner reference, released by JSON patch, deleted', async () => {
  const created = (await custom.createNamespacedCustomObject({
    group: 'confidentialcontainers.org',
    version: 'v1alpha1',
    namespace: 'team',
    plural: 'peerpods',
    body: {
      apiVersion: 'confidentialcontainers.org/v1alpha1',
      kind: 'PeerPod',
      metadata: {
        generateName: 'web-resource-',
        finalizers: ['peer.pod/finalizer'],
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            name: 'web',
            uid: 'u',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { cloudProvider: 'aws', instanceID: 'i-0123' },
    },
  })) as { metadata: { name: string } };
  assert.match(created.metadata.name, /^web-resource-[a-z0-9]{5}$/);
  await custom.patchNamespacedCustomObject(
    {
      group: 'confidentialcontainers.org',
      version: 'v1alpha1',
      namespace: 'team',
      plural: 'peerpods',
      name: created.metadata.name,
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
  const stored = fake.get('peerpods', created.metadata.name, 'team');
  assert.equal(stored?.metadata?.finalizers, undefined);
  assert.deepEqual(stored?.spec, { cloudProvider: 'aws', instanceID: 'i-0123' });
  const listed = (await custom.listNamespacedCustomObject({
    group: 'confidentialcontainers.org',
    version: 'v1alpha1',
    namespace: 'team',
    plural: 'peerpods',
  })) as { items: unknown[] };
  assert.equal(listed.items.length, 1);
  await custom.deleteNamespacedCustomObject({
    group: 'confidentialcontainers.org',
    version: 'v1alpha1',
    namespace: 'team',
    plural: 'peerpods',
    name: created.metadata.name,
  });
  assert.deepEqual(fake.list('peerpods', 'team'), []);
});
