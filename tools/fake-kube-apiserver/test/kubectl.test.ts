// The fake kube-apiserver checked against a real kubectl: Debian's kubernetes-client 1.20, unpacked
// by scripts/unpack-deb.sh (it cannot be installed beside the Google Cloud SDK's kubectl). kubectl
// reads discovery first, then uses the same REST paths and patch types the daemon sends.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { FakeKubeApiserver } from '../src/index';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
// Unpacked on first use (apt-get download: needs root and Debian's mirror, as npm test has).
const unpacked = (
  await run('bash', [join(root, 'scripts/unpack-deb.sh'), 'kubernetes-client'])
).stdout.trim();
const kubectlBinary = join(unpacked, 'usr/bin/kubectl');

const fake = await FakeKubeApiserver.start();
const dir = mkdtempSync(join(tmpdir(), 'fake-kube-kubectl-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, fake.kubeconfig());
after(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** kubectl's stdout; the cache dir kept in the test's directory. */
async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlBinary, [
    '--kubeconfig',
    kubeconfig,
    '--cache-dir',
    join(dir, 'cache'),
    ...args,
  ]);
  return stdout;
}

test('kubectl 1.20 reads the version', async () => {
  assert.match(
    await run(kubectlBinary, ['version', '--client', '--short']).then((r) => r.stdout),
    /v1\.20\./,
  );
});

test('kubectl: get nodes, annotate by merge patch, JSON-patch a node; the fake sees kubectl’s own requests', async () => {
  fake.put('nodes', { metadata: { name: 'k1' }, status: { capacity: { cpu: '2' } } });
  const listed = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as {
    items: { metadata: { name: string } }[];
  };
  assert.deepEqual(
    listed.items.map((item) => item.metadata.name),
    ['k1'],
  );
  assert.equal(
    (await kubectl('annotate', 'node', 'k1', 'kata.peerpods.io/caa-owner=uid-1')).trim(),
    'node/k1 annotated',
  );
  await kubectl(
    'patch',
    'node',
    'k1',
    '--type=json',
    '-p',
    '[{"op":"add","path":"/metadata/labels","value":{"tier":"peer"}}]',
  );
  const node = fake.get('nodes', 'k1')!;
  assert.equal(node.metadata?.annotations?.['kata.peerpods.io/caa-owner'], 'uid-1');
  assert.deepEqual(node.metadata?.labels, { tier: 'peer' });
  assert.ok(
    fake.requests.some((r) =>
      /^PATCH \/api\/v1\/nodes\/k1\?fieldManager=kubectl-annotate application\/merge-patch\+json$/.test(r),
    ),
  );
  assert.ok(
    fake.requests.some((r) =>
      /^PATCH \/api\/v1\/nodes\/k1\?fieldManager=kubectl-patch application\/json-patch\+json$/.test(r),
    ),
  );
  // A missing object is kubectl's NotFound, from the fake's Status.
  await assert.rejects(kubectl('get', 'node', 'nope'), (error: { stderr?: string }) => {
    assert.match(String(error.stderr), /Error from server \(NotFound\): nodes "nope" not found/);
    return true;
  });
});

test('kubectl: pods, secrets and PeerPod objects (the custom resource, by discovery)', async () => {
  fake.put('pods', { metadata: { name: 'web', namespace: 'team' }, spec: { serviceAccountName: 'ci' } });
  fake.put('secrets', { metadata: { name: 'pull', namespace: 'team' }, type: 'Opaque', data: { k: 'dg==' } });
  fake.put('peerpods', {
    metadata: { name: 'web-resource-abcde', namespace: 'team', finalizers: ['peer.pod/finalizer'] },
    spec: { cloudProvider: 'aws', instanceID: 'i-1' },
  });
  assert.equal(
    await kubectl('get', 'pod', 'web', '-n', 'team', '-o', 'jsonpath={.spec.serviceAccountName}'),
    'ci',
  );
  assert.equal(await kubectl('get', 'secret', 'pull', '-n', 'team', '-o', 'jsonpath={.data.k}'), 'dg==');
  assert.equal(
    await kubectl('get', 'peerpods', '-n', 'team', '-o', 'jsonpath={.items[*].spec.instanceID}'),
    'i-1',
  );
  await kubectl(
    'patch',
    'peerpod',
    'web-resource-abcde',
    '-n',
    'team',
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/metadata/finalizers"}]',
  );
  assert.equal(fake.get('peerpods', 'web-resource-abcde', 'team')?.metadata?.finalizers, undefined);
  assert.equal(
    (await kubectl('delete', 'peerpod', 'web-resource-abcde', '-n', 'team')).trim(),
    'peerpod.confidentialcontainers.org "web-resource-abcde" deleted',
  );
  assert.deepEqual(fake.list('peerpods', 'team'), []);
});
