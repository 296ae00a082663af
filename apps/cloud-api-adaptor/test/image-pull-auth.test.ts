// Image pull secrets → /run/peerpod/auth.json, as upstream builds it (its §2.5), and the 12 KiB cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTH_JSON_LIMIT, imagePullAuth, type PullSecretSource } from '../src/kubernetes/image-pull-auth';
import { POD_ANNOTATIONS, sandboxId, startTestDaemon } from './harness';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const dockerConfigJson = (auths: Record<string, unknown>) => ({
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
});

function source(
  secrets: Record<string, { type?: string; data?: Record<string, string> }>,
  pod = {},
  account = {},
): PullSecretSource {
  return {
    getPod: async () => pod,
    getServiceAccount: async (_ns, name) => {
      if (name !== 'builder' && name !== 'default') throw new Error(`serviceaccounts "${name}" not found`);
      return account;
    },
    getSecret: async (_ns, name) => {
      const secret = secrets[name];
      if (!secret) throw new Error(`secrets "${name}" is forbidden`);
      return secret;
    },
  };
}

test('auth.json from the service account’s and the pod’s secrets, both kinds; username and password become auth; entries with neither are skipped; the later secret wins', async () => {
  const result = await imagePullAuth(
    source(
      {
        'sa-json': dockerConfigJson({
          'quay.io': { auth: b64('robot:s3cret-quay') },
          'ghcr.io': { username: 'octo', password: 'gh-s3cret' },
          'empty.example': {},
        }),
        'pod-cfg': {
          type: 'kubernetes.io/dockercfg',
          data: { '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('pod:wins') } })) },
        },
        opaque: { type: 'Opaque', data: { token: b64('x') } },
      },
      {
        serviceAccountName: 'builder',
        imagePullSecrets: [{ name: 'pod-cfg' }, { name: 'gone' }, { name: 'opaque' }],
      },
      { imagePullSecrets: [{ name: 'sa-json' }] },
    ),
    'team',
    'web',
  );
  assert.deepEqual(JSON.parse(result.authJson!), {
    auths: {
      'quay.io': { auth: b64('pod:wins') },
      'ghcr.io': { auth: b64('octo:gh-s3cret') },
    },
  });
  assert.deepEqual(result.notes, [
    'image pull secret team/gone skipped: secrets "gone" is forbidden',
    'image pull secret team/opaque skipped: neither .dockerconfigjson nor .dockercfg',
  ]);
});

test('no secrets, or a pod that cannot be read: no auth.json, and the reason is noted', async () => {
  assert.deepEqual(await imagePullAuth(source({}, {}, {}), 'ns', 'p'), { notes: [] });
  const unreadable: PullSecretSource = {
    ...source({}),
    getPod: async () => {
      throw new Error('pods "p" is forbidden');
    },
  };
  assert.deepEqual(await imagePullAuth(unreadable, 'ns', 'p'), {
    notes: ['reading pod ns/p: pods "p" is forbidden'],
  });
});

test('over 12 KiB: not given to the pod VM, with a note that names no secret content', async () => {
  const big = b64('u:'.concat('p'.repeat(AUTH_JSON_LIMIT)));
  const result = await imagePullAuth(
    source(
      { huge: dockerConfigJson({ 'big.example': { auth: big } }) },
      { imagePullSecrets: [{ name: 'huge' }] },
    ),
    'ns',
    'p',
  );
  assert.equal(result.authJson, undefined);
  assert.match(result.notes[0]!, /of auth\.json, over the 12288-byte limit: not given to the pod VM/);
  assert.ok(!result.notes.join('').includes(big.slice(0, 20)));
});

test('CreateVM puts auth.json in the user-data, and the secret reaches no log line', async () => {
  const auth = b64('robot:top-s3cret');
  const caa = await startTestDaemon(
    {},
    {
      imagePullAuth: (namespace, podName) =>
        imagePullAuth(
          source(
            { pull: dockerConfigJson({ 'quay.io': { auth } }) },
            { imagePullSecrets: [{ name: 'pull' }] },
          ),
          namespace,
          podName,
        ),
    },
  );
  const id = sandboxId(40);
  await caa.call.createVM(id, POD_ANNOTATIONS('web'));
  await caa.call.startVM(id);
  const userData = [...caa.state.userData.values()][0]!;
  assert.match(userData, /path: \/run\/peerpod\/auth\.json/);
  assert.ok(
    userData.includes(auth) || userData.includes(b64(JSON.stringify({ auths: { 'quay.io': { auth } } }))),
    userData,
  );
  assert.ok(!caa.logs.join('').includes(auth), 'the secret is in no log line');
  await caa.call.stopVM(id);
});
