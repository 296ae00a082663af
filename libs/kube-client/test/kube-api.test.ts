// The KubeApi over the real @kubernetes/client-node, against the fake kube-apiserver on loopback.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeKubeApiserver } from '@peerpods/fake-kube-apiserver';
import { connectKubernetes, type KubeApi, KubeApiError, type NodeView } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'kube-client-'));
const fake = await FakeKubeApiserver.start();
after(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A KUBECONFIG file for the client, pointing at `server` (the fake's own format). */
function kubeconfigFor(server: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, fake.kubeconfig(server));
  return path;
}

const api: KubeApi = await connectKubernetes({ via: 'KUBECONFIG', path: kubeconfigFor(fake.url, 'fake') });

/** Resolves the first node state the watch reports that passes `check`. */
function nextNode(states: (NodeView | undefined)[], check: (node: NodeView | undefined) => boolean) {
  return new Promise<NodeView | undefined>((resolve) => {
    const look = () => {
      const found = states.find(check);
      if (found !== undefined || states.some((state) => state === undefined && check(state))) resolve(found);
      else setTimeout(look, 10);
    };
    look();
  });
}

test('nodes: annotation by merge patch, capacity by JSON patch on status, read back', async () => {
  fake.put('nodes', { metadata: { name: 'n1' }, status: { capacity: { cpu: '2' } } });
  await api.annotateNode('n1', 'kata.peerpods.io/caa-owner', 'uid-a');
  await api.patchNodeStatus('n1', [{ op: 'add', path: '/status/capacity/kata.peerpods.io~1vm', value: '4' }]);
  const node = await api.getNode('n1');
  assert.deepEqual(node, {
    name: 'n1',
    annotations: { 'kata.peerpods.io/caa-owner': 'uid-a' },
    capacity: { cpu: '2', 'kata.peerpods.io/vm': '4' },
  });
  await api.annotateNode('n1', 'kata.peerpods.io/caa-owner', null);
  assert.deepEqual((await api.getNode('n1')).annotations, {});
});

test('errors carry the code, the reason and what was asked', async () => {
  await assert.rejects(api.getNode('missing'), (error: unknown) => {
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.code, 404);
    assert.equal(error.reason, 'NotFound');
    assert.equal(error.message, 'reading node missing: nodes "missing" not found (404 NotFound)');
    return true;
  });
  await assert.rejects(
    api.patchNodeStatus('n1', [{ op: 'remove', path: '/status/capacity/nothing' }]),
    (error: KubeApiError) => error.code === 422 && /^patching the status of node n1: /.test(error.message),
  );
});

test('an API server that never answers is a Timeout, one that refuses is Unreachable', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const stalled = await connectKubernetes(
      { via: 'KUBECONFIG', path: kubeconfigFor(`http://127.0.0.1:${port}`, 'silent') },
      { requestTimeoutMs: 200 },
    );
    await assert.rejects(stalled.getNode('n1'), (error: KubeApiError) => {
      assert.equal(error.reason, 'Timeout');
      assert.equal(error.message, 'reading node n1: no answer from the API server in 200 ms');
      return true;
    });
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
  const refused = await connectKubernetes({
    via: 'KUBECONFIG',
    path: kubeconfigFor(`http://127.0.0.1:${port}`, 'closed'),
  });
  await assert.rejects(refused.getNode('n1'), (error: KubeApiError) => {
    assert.equal(error.code, 0);
    assert.equal(error.reason, 'Unreachable');
    assert.match(error.message, /^reading node n1: /);
    return true;
  });
});

test('pods, service accounts, secrets and PeerPod objects', async () => {
  fake.put('pods', {
    metadata: { name: 'web', namespace: 'team' },
    spec: { serviceAccountName: 'builder', imagePullSecrets: [{ name: 'pull' }] },
  });
  fake.put('serviceaccounts', {
    metadata: { name: 'builder', namespace: 'team' },
    imagePullSecrets: [{ name: 'sa' }],
  });
  fake.put('secrets', { metadata: { name: 'pull', namespace: 'team' }, type: 'Opaque', data: { k: 'dg==' } });
  const pod = await api.getPod('team', 'web');
  assert.equal(pod.uid, fake.get('pods', 'web', 'team')?.metadata?.uid);
  assert.equal(pod.serviceAccountName, 'builder');
  assert.deepEqual(pod.imagePullSecrets, [{ name: 'pull' }]);
  assert.deepEqual(await api.getServiceAccount('team', 'builder'), { imagePullSecrets: [{ name: 'sa' }] });
  assert.deepEqual(await api.getSecret('team', 'pull'), { type: 'Opaque', data: { k: 'dg==' } });

  const name = await api.createPeerPod({
    namespace: 'team',
    generateName: 'web-resource-',
    finalizers: ['peer.pod/finalizer'],
    owner: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: pod.uid },
    spec: { cloudProvider: 'aws', instanceID: 'i-1' },
  });
  assert.match(name, /^web-resource-[a-z0-9]{5}$/);
  const stored = fake.get('peerpods', name, 'team');
  assert.deepEqual(stored?.metadata?.finalizers, ['peer.pod/finalizer']);
  assert.deepEqual(stored?.metadata?.ownerReferences, [
    { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: pod.uid, controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(stored?.spec, { cloudProvider: 'aws', instanceID: 'i-1' });
  await api.patchPeerPod('team', name, [{ op: 'remove', path: '/metadata/finalizers' }]);
  assert.equal(fake.get('peerpods', name, 'team')?.metadata?.finalizers, undefined);
});

test('watchNode: the current state, each change, and again after the watch breaks', async () => {
  fake.put('nodes', { metadata: { name: 'w1', annotations: { a: '1' } } });
  fake.put('nodes', { metadata: { name: 'other' } });
  const states: (NodeView | undefined)[] = [];
  const troubles: string[] = [];
  const watch = api.watchNode('w1', {
    onNode: (node) => states.push(node),
    onTrouble: (m) => troubles.push(m),
  });
  try {
    await nextNode(states, (node) => node?.annotations.a === '1');
    await api.annotateNode('w1', 'a', '2');
    await nextNode(states, (node) => node?.annotations.a === '2');
    fake.breakWatches();
    // Opened again (after a second): a change made after that is seen.
    while (fake.watchCount === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await api.annotateNode('w1', 'a', '3');
    await nextNode(states, (node) => node?.annotations.a === '3');
    fake.delete('nodes', 'w1');
    await nextNode(states, (node) => node === undefined);
    assert.ok(
      states.every((node) => node === undefined || node.name === 'w1'),
      'only the one node',
    );
  } finally {
    watch.stop();
  }
  while (fake.watchCount > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fake.watchCount, 0, 'stop closes the watch');
});

test('watchNode where RBAC forbids watching: reads the node instead, and says so', async () => {
  fake.put('nodes', { metadata: { name: 'p1', annotations: { a: '1' } } });
  fake.forbidWatches = true;
  const states: (NodeView | undefined)[] = [];
  const troubles: string[] = [];
  const watch = api.watchNode('p1', {
    onNode: (node) => states.push(node),
    onTrouble: (message) => troubles.push(message),
    pollIntervalMs: 50,
  });
  try {
    await nextNode(states, (node) => node?.annotations.a === '1');
    await api.annotateNode('p1', 'a', '2');
    await nextNode(states, (node) => node?.annotations.a === '2');
    assert.equal(troubles.length, 1);
    assert.match(troubles[0]!, /^watching node p1: Forbidden \(403\); reading the node every 50 ms instead$/);
  } finally {
    watch.stop();
    fake.forbidWatches = false;
  }
});
