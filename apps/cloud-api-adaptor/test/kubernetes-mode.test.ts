// Kubernetes mode against the fake kube-apiserver (the real @kubernetes/client-node on the wire):
// the extended resource and its owner annotation, a surge rollout's handover between two daemons,
// image pull secrets from the API, and PeerPod objects.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { FakeKubeApiserver } from '@peerpods/fake-kube-apiserver';
import { TtrpcClient } from '@peerpods/ttrpc';
import { closeLeavingSuccessor } from '../src/served-socket';
import { emptyScriptedState } from './fixtures/scripted-provider';
import { freePort, POD_ANNOTATIONS, sandboxId, startTestDaemon, tempDir } from './harness';

const fake = await FakeKubeApiserver.start();
after(() => fake.stop());
const kubeconfig = join(tempDir(), 'kubeconfig');
writeFileSync(kubeconfig, fake.kubeconfig());
// A real network namespace (this process's) for the sandboxes the stub network does not touch.
const NETNS = '/proc/self/ns/net';
const VM = 'kata.peerpods.io/vm';
const OWNER = 'kata.peerpods.io/caa-owner';

async function clusterEnv(node: string, podUid: string, extra: NodeJS.ProcessEnv = {}) {
  return {
    KUBECONFIG: kubeconfig,
    NODE_NAME: node,
    POD_UID: podUid,
    CLOUD_PROVIDER: 'scripted',
    PROBE_PORT: String(await freePort()),
    ...extra,
  };
}

function addNode(name: string): void {
  fake.put('nodes', { metadata: { name }, status: { capacity: { cpu: '2' } } });
}

const node = (name: string) => {
  const stored = fake.get('nodes', name)!;
  return {
    owner: stored.metadata?.annotations?.[OWNER],
    capacity: (stored.status as { capacity: Record<string, string> }).capacity,
  };
};

async function agentCheck(socket: string): Promise<string> {
  const client = await TtrpcClient.connect({ path: socket });
  try {
    return Buffer.from(await client.call('grpc.Health', 'Check', new Uint8Array(0))).toString();
  } finally {
    client.close();
  }
}

test('the extended resource: the node claimed and its capacity advertised at start, withdrawn at stop; below 0, none', async () => {
  addNode('n-cap');
  const caa = await startTestDaemon(
    { 'peerpods-limit-per-node': '3' },
    { env: await clusterEnv('n-cap', 'uid-a') },
  );
  assert.deepEqual(node('n-cap'), { owner: 'uid-a', capacity: { cpu: '2', [VM]: '3' } });
  assert.ok(fake.requests.includes('PATCH /api/v1/nodes/n-cap application/merge-patch+json'));
  assert.ok(fake.requests.includes('PATCH /api/v1/nodes/n-cap/status application/json-patch+json'));
  assert.ok(caa.logs.some((line) => line.includes(`advertised ${VM}: 3 on node n-cap`)));
  await caa.daemon.stop();
  assert.deepEqual(node('n-cap'), { owner: 'uid-a', capacity: { cpu: '2' } });
  assert.ok(!existsSync(caa.socketPath), 'the owner removes the socket');

  addNode('n-none');
  const none = await startTestDaemon(
    { 'peerpods-limit-per-node': '-1' },
    { env: await clusterEnv('n-none', 'uid-b') },
  );
  assert.deepEqual(node('n-none'), { owner: 'uid-b', capacity: { cpu: '2' } });
  assert.ok(
    none.logs.some((line) => line.includes(`-peerpods-limit-per-node is -1: no ${VM} capacity advertised`)),
  );
  await none.daemon.stop();
});

test('the startup probe of a daemon in a cluster: 200 once started, gone with the daemon', async () => {
  addNode('n-probe');
  const env = await clusterEnv('n-probe', 'uid-probe');
  const caa = await startTestDaemon({}, { env });
  assert.ok(caa.logs.some((line) => line.includes(`startup probe on 127.0.0.1:${env.PROBE_PORT}/startup`)));
  assert.ok(
    caa.logs.some((line) =>
      line.includes(`Kubernetes mode for node n-probe (KUBECONFIG, API server ${fake.url})`),
    ),
  );
  assert.equal((await fetch(`http://127.0.0.1:${env.PROBE_PORT}/startup`)).status, 200);
  await caa.daemon.stop();
  await assert.rejects(
    fetch(`http://127.0.0.1:${env.PROBE_PORT}/startup`),
    'the probe stops with the daemon',
  );
});

test('a KUBECONFIG that cannot be read stops the start with a clear error', async () => {
  await assert.rejects(
    startTestDaemon(
      {},
      { env: { ...(await clusterEnv('n-y', 'uid-y')), KUBECONFIG: '/nonexistent/kubeconfig' } },
    ),
    /^Error: Kubernetes client from the KUBECONFIG: .*\/nonexistent\/kubeconfig/,
  );
});

test('a start that cannot reach the API server fails and says what it was doing', async () => {
  const path = join(tempDir(), 'kubeconfig');
  const port = await freePort();
  writeFileSync(path, fake.kubeconfig().replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
  await assert.rejects(
    startTestDaemon({}, { env: { ...(await clusterEnv('n-x', 'uid-x')), KUBECONFIG: path } }),
    /^Error: claiming node n-x \(annotation kata\.peerpods\.io\/caa-owner\): annotating node n-x: /,
  );
});

test('a surge rollout: the new daemon pod claims the node, the old one hands its running pods over and then leaves capacity and socket alone', async () => {
  addNode('n-surge');
  const dir = tempDir();
  const shared = {
    socket: join(dir, 'hypervisor.sock'),
    'pods-dir': join(dir, 'pods'),
    'forwarder-port': String(await freePort()),
  };
  const state = emptyScriptedState();
  for (const n of [0, 1]) fake.put('pods', { metadata: { name: `web-${n}`, namespace: 'surge' }, spec: {} });
  const old = await startTestDaemon(shared, { env: await clusterEnv('n-surge', 'uid-old'), state });
  const running = [sandboxId(101), sandboxId(102)];
  const sockets: string[] = [];
  for (const [n, id] of running.entries()) {
    sockets.push(await old.call.createVM(id, POD_ANNOTATIONS(`web-${n}`, 'surge'), NETNS));
    await old.call.startVM(id);
  }
  const createdOnly = sandboxId(103);
  await old.call.createVM(createdOnly, POD_ANNOTATIONS('later'), NETNS);
  assert.equal(await agentCheck(sockets[0]!), 'Check:');

  // The new pod starts while the old one still serves: it resolves once the old one handed over.
  const fresh = await startTestDaemon(shared, { env: await clusterEnv('n-surge', 'uid-new'), state });
  assert.equal(old.daemon.handedOver, true);
  assert.ok(
    old.logs.some((line) =>
      line.includes(
        'node n-surge is now owned by daemon pod uid-new: handing the running sandboxes over to it',
      ),
    ),
  );
  assert.ok(
    old.logs.some((line) => line.includes('handed 2 running sandbox(es) over to daemon pod uid-new')),
  );
  const { adopted } = await fresh.daemon.recovery.settled;
  assert.deepEqual(adopted.sort(), [...running].sort());
  assert.deepEqual(state.deleted, [], 'no pod VM was deleted');
  // The sandbox that had not started is gone (its shim's StartVM fails, and kubelet retries).
  assert.ok(!existsSync(join(shared['pods-dir'], createdOnly)));
  // Each pod answers over a fresh connection to the same agent socket, from the same pod VM.
  for (const [n, socket] of sockets.entries()) {
    const forwarder = state.forwarders.get(`i-00000${n + 1}`)!;
    const before = forwarder.calls.length;
    assert.equal(await agentCheck(socket), 'Check:');
    assert.equal(forwarder.calls.length, before + 1);
  }
  assert.deepEqual(node('n-surge'), { owner: 'uid-new', capacity: { cpu: '2', [VM]: '10' } });

  // The rollout deletes the old pod: it owns nothing any more, so it withdraws nothing.
  await old.daemon.stop();
  assert.deepEqual(node('n-surge'), { owner: 'uid-new', capacity: { cpu: '2', [VM]: '10' } });
  assert.equal(await agentCheck(sockets[1]!), 'Check:');
  await fresh.call.stopVM(running[0]!);
  assert.deepEqual(state.deleted, ['i-000001']);
  // The adopted record named its PeerPod: the new daemon releases the one the old daemon made.
  const peerPods = fake.list('peerpods', 'surge');
  assert.equal(peerPods.length, 2);
  const released = peerPods.filter((object) => object.metadata?.finalizers === undefined);
  assert.deepEqual(
    released.map((object) => (object.spec as { instanceID: string }).instanceID),
    ['i-000001'],
  );
  await fresh.daemon.stop();
  assert.deepEqual(node('n-surge'), { owner: 'uid-new', capacity: { cpu: '2' } });
  assert.deepEqual(state.deleted.sort(), ['i-000001', 'i-000002']);
  assert.ok(!existsSync(shared.socket));
});

test('an old daemon that does not hand over loses the socket after the timeout; once stopped it leaves the new socket in place', async () => {
  addNode('n-stuck');
  const dir = tempDir();
  const shared = { socket: join(dir, 'hypervisor.sock'), 'pods-dir': join(dir, 'pods') };
  // The old daemon cannot watch the node and reads it only hourly: it never notices the claim.
  fake.forbidWatches = true;
  const old = await startTestDaemon(shared, {
    env: await clusterEnv('n-stuck', 'uid-old'),
    kubernetes: { ownershipPollIntervalMs: 3_600_000 },
  });
  // Its one read of the node (right after the refused watch) is done before the claim.
  while (!old.logs.some((line) => line.includes('reading the node every 3600000 ms instead')))
    await new Promise((resolve) => setTimeout(resolve, 10));
  const fresh = await startTestDaemon(shared, {
    env: await clusterEnv('n-stuck', 'uid-new'),
    kubernetes: { handoverTimeoutMs: 300 },
  });
  fake.forbidWatches = false;
  assert.equal(old.daemon.handedOver, false, old.logs.join('\n'));
  assert.ok(
    fresh.logs.some((line) =>
      line.includes(
        `the daemon serving ${shared.socket} did not hand over in 300 ms: taking the socket over`,
      ),
    ),
  );
  const id = sandboxId(110);
  await fresh.call.createVM(id, POD_ANNOTATIONS('after'), NETNS);
  // Stopped, the old one sees it is no longer the owner: capacity and (the new) socket stay.
  await old.daemon.stop();
  assert.equal(old.daemon.handedOver, true);
  assert.deepEqual(node('n-stuck'), { owner: 'uid-new', capacity: { cpu: '2', [VM]: '10' } });
  await fresh.call.startVM(id);
  await fresh.call.stopVM(id);
  await fresh.daemon.stop();
});

test('an old daemon whose socket was taken over, stopped while the API server is gone, deletes none of the pods it left', async () => {
  // Its own API server, to take it away in the middle of the test.
  const lonely = await FakeKubeApiserver.start();
  const config = join(tempDir(), 'kubeconfig');
  writeFileSync(config, lonely.kubeconfig());
  lonely.put('nodes', { metadata: { name: 'n-gone' }, status: { capacity: { cpu: '2' } } });
  const dir = tempDir();
  const shared = {
    socket: join(dir, 'hypervisor.sock'),
    'pods-dir': join(dir, 'pods'),
    'forwarder-port': String(await freePort()),
  };
  const state = emptyScriptedState();
  lonely.forbidWatches = true;
  const old = await startTestDaemon(shared, {
    env: await clusterEnv('n-gone', 'uid-old', { KUBECONFIG: config }),
    kubernetes: { ownershipPollIntervalMs: 3_600_000 },
    state,
  });
  while (!old.logs.some((line) => line.includes('reading the node every 3600000 ms instead')))
    await new Promise((resolve) => setTimeout(resolve, 10));
  const id = sandboxId(160);
  const socket = await old.call.createVM(id, POD_ANNOTATIONS('kept'), NETNS);
  await old.call.startVM(id);
  const fresh = await startTestDaemon(shared, {
    env: await clusterEnv('n-gone', 'uid-new', { KUBECONFIG: config }),
    kubernetes: { handoverTimeoutMs: 300 },
    state,
  });
  assert.deepEqual((await fresh.daemon.recovery.settled).adopted, [id]);
  await lonely.stop();
  await old.daemon.stop();
  assert.equal(old.daemon.handedOver, true);
  assert.deepEqual(state.deleted, [], 'the pod the new daemon adopted keeps its VM');
  assert.equal(await agentCheck(socket), 'Check:');
  assert.ok(existsSync(shared.socket), "the new daemon's socket stays");
  await fresh.call.stopVM(id);
  assert.deepEqual(state.deleted, ['i-000001']);
  await fresh.daemon.stop();
});

test('image pull secrets come from the API: auth.json in the user-data, the secret in no log line', async () => {
  addNode('n-pull');
  const auth = Buffer.from('robot:top-s3cret').toString('base64');
  fake.put('pods', { metadata: { name: 'pulls', namespace: 'team' }, spec: { serviceAccountName: 'ci' } });
  fake.put('serviceaccounts', {
    metadata: { name: 'ci', namespace: 'team' },
    imagePullSecrets: [{ name: 'reg' }],
  });
  fake.put('secrets', {
    metadata: { name: 'reg', namespace: 'team' },
    type: 'kubernetes.io/dockerconfigjson',
    data: {
      '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'quay.io': { auth } } })).toString('base64'),
    },
  });
  const caa = await startTestDaemon({}, { env: await clusterEnv('n-pull', 'uid-p') });
  const id = sandboxId(120);
  await caa.call.createVM(id, POD_ANNOTATIONS('pulls', 'team'), NETNS);
  await caa.call.startVM(id);
  const userData = [...caa.state.userData.values()][0]!;
  assert.match(userData, /path: \/run\/peerpod\/auth\.json/);
  assert.ok(userData.includes(JSON.stringify({ auths: { 'quay.io': { auth } } })), userData);
  assert.ok(!caa.logs.join('\n').includes(auth), 'the secret is in no log line');
  await caa.call.stopVM(id);
  await caa.daemon.stop();
});

test('PeerPod objects: made after the instance, owned by the pod, with the finalizer; released after the instance is deleted', async () => {
  addNode('n-pp');
  const pod = fake.put('pods', { metadata: { name: 'db', namespace: 'data' }, spec: {} });
  const caa = await startTestDaemon({ 'proxy-timeout': '1s' }, { env: await clusterEnv('n-pp', 'uid-pp') });
  const id = sandboxId(130);
  await caa.call.createVM(id, POD_ANNOTATIONS('db', 'data'), NETNS);
  assert.deepEqual(fake.list('peerpods', 'data'), [], 'none before the instance exists');
  await caa.call.startVM(id);
  const [peerPod] = fake.list('peerpods', 'data');
  assert.match(peerPod!.metadata!.name!, /^db-resource-[a-z0-9]{5}$/);
  assert.deepEqual(peerPod!.metadata!.finalizers, ['peer.pod/finalizer']);
  assert.deepEqual(peerPod!.metadata!.ownerReferences, [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'db',
      uid: pod.metadata!.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.deepEqual(peerPod!.spec, { cloudProvider: 'scripted', instanceID: 'i-000001' });
  await caa.call.stopVM(id);
  assert.deepEqual(caa.state.deleted, ['i-000001']);
  assert.equal(fake.get('peerpods', peerPod!.metadata!.name!, 'data')?.metadata?.finalizers, undefined);
  assert.ok(caa.logs.some((line) => line.includes(`released PeerPod data/${peerPod!.metadata!.name}`)));

  // A start that fails after the instance exists releases it too.
  const failing = sandboxId(131);
  fake.put('pods', { metadata: { name: 'no-forwarder', namespace: 'data' }, spec: {} });
  await caa.call.createVM(failing, POD_ANNOTATIONS('no-forwarder', 'data'), NETNS);
  // Its reply comes after the clean-up: the instance deleted, the PeerPod released.
  await assert.rejects(caa.call.startVM(failing));
  assert.deepEqual(caa.state.deleted, ['i-000001', 'i-000002']);
  const second = fake
    .list('peerpods', 'data')
    .find((object) => object.metadata?.name?.startsWith('no-forwarder-'));
  assert.ok(second, 'made for the second instance');
  assert.equal(
    second.metadata?.finalizers,
    undefined,
    'released after the failed start deleted the instance',
  );
  await caa.daemon.stop();
});

test('without CLOUD_PROVIDER no PeerPod is made, and a log line says so; a PeerPod that cannot be made does not fail the pod', async () => {
  addNode('n-nopp');
  fake.put('pods', { metadata: { name: 'plain', namespace: 'solo' }, spec: {} });
  const env = await clusterEnv('n-nopp', 'uid-n');
  delete (env as NodeJS.ProcessEnv).CLOUD_PROVIDER;
  const caa = await startTestDaemon({}, { env });
  assert.ok(caa.logs.some((line) => line.includes('CLOUD_PROVIDER is not set: no PeerPod objects are made')));
  const id = sandboxId(140);
  await caa.call.createVM(id, POD_ANNOTATIONS('plain', 'solo'), NETNS);
  await caa.call.startVM(id);
  assert.deepEqual(fake.list('peerpods', 'solo'), []);
  await caa.call.stopVM(id);
  await caa.daemon.stop();

  // The pod is not in the API (deleted meanwhile): the start still succeeds, with a warning.
  const withProvider = await startTestDaemon({}, { env: await clusterEnv('n-nopp', 'uid-m') });
  const orphan = sandboxId(141);
  await withProvider.call.createVM(orphan, POD_ANNOTATIONS('ghost', 'solo'), NETNS);
  await withProvider.call.startVM(orphan);
  assert.ok(
    withProvider.logs.some((line) =>
      /creating a PeerPod for instance i-\d+ of pod solo\/ghost: reading pod solo\/ghost: pods "ghost" not found \(404 NotFound\)/.test(
        line,
      ),
    ),
  );
  await withProvider.call.stopVM(orphan);
  await withProvider.daemon.stop();
});

test("a socket served by something that is not our daemon (upstream's old daemon) is taken after the timeout", async () => {
  addNode('n-upstream');
  const dir = tempDir();
  const socket = join(dir, 'hypervisor.sock');
  const upstream = net.createServer((connection) => connection.destroy());
  await new Promise<void>((resolve) => upstream.listen(socket, resolve));
  try {
    const caa = await startTestDaemon(
      { socket, 'pods-dir': join(dir, 'pods') },
      { env: await clusterEnv('n-upstream', 'uid-u'), kubernetes: { handoverTimeoutMs: 200 } },
    );
    assert.ok(
      caa.logs.some((line) => line.includes(`waiting up to 200 ms for the daemon serving ${socket}`)),
    );
    assert.ok(caa.logs.some((line) => line.includes('did not hand over in 200 ms: taking the socket over')));
    const id = sandboxId(150);
    assert.equal(
      await caa.call.createVM(id, POD_ANNOTATIONS('u'), NETNS),
      join(dir, 'pods', id, 'agent.ttrpc'),
    );
    await caa.call.stopVM(id);
    await caa.daemon.stop();
  } finally {
    await new Promise((resolve) => upstream.close(resolve));
  }
});

test('closing a listener whose path a successor has bound leaves the successor reachable', async () => {
  const path = join(tempDir(), 'h.sock');
  const served = (name: string) => net.createServer((connection) => connection.end(name));
  const first = served('first');
  await new Promise<void>((resolve) => first.listen(path, resolve));
  const firstInode = statSync(path).ino;
  unlinkSync(path);
  const second = served('second');
  await new Promise<void>((resolve) => second.listen(path, resolve));
  // A link a crash left behind does not stop it.
  writeFileSync(`${path}.successor-${process.pid}`, 'stale');
  let backWhileDraining = false;
  await closeLeavingSuccessor(path, firstInode, () => {
    first.close();
    // The calls in flight drain after the listener closed: the successor's path is back meanwhile.
    return new Promise((resolve) =>
      setTimeout(() => {
        backWhileDraining = existsSync(path);
        resolve();
      }, 100),
    );
  });
  assert.equal(backWhileDraining, true, 'the path is back before the drain ends');
  const answer = await new Promise<string>((resolve, reject) => {
    const client = net.connect(path);
    let text = '';
    client.on('data', (chunk) => {
      text += chunk;
    });
    client.on('end', () => resolve(text));
    client.on('error', reject);
  });
  assert.equal(answer, 'second');
  assert.deepEqual(readdirSync(dirname(path)), ['h.sock'], 'no link left behind');
  await new Promise((resolve) => second.close(resolve));
});
