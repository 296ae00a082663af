// Which credentials the provider signs with: static keys, else -aws-profile, else the SDK's default
// chain. The fake records the access key id of every request (never the secret or the signature).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { FakeEc2 } from '@peerpods/fake-ec2';
import { tempDir } from '@peerpods/test-support';
import { awsProviderFactory } from '../src/index';
import { createRequest, OWNER } from './support';

const dir = tempDir();
const credentials = join(dir, 'credentials');
await writeFile(
  credentials,
  [
    '[default]',
    'aws_access_key_id = AKIAFROMDEFAULTCHAIN',
    'aws_secret_access_key = default-chain-secret',
    '[peerpods]',
    'aws_access_key_id = AKIAFROMPROFILE00001',
    'aws_secret_access_key = profile-secret',
    '',
  ].join('\n'),
);
// The SDK reads shared files from these; nothing under $HOME is touched.
process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
process.env.AWS_CONFIG_FILE = join(dir, 'config');
for (const name of [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
]) {
  delete process.env[name];
}

async function keysUsed(env: Record<string, string>, flags: Record<string, string> = {}): Promise<string[]> {
  const fake = await FakeEc2.start();
  after(() => fake.stop());
  const { values } = resolveOptions(awsProviderFactory.options, flags, {
    ...fake.clientEnv(),
    ...env,
  });
  const provider = await awsProviderFactory.create(values, { log: () => {}, owner: OWNER });
  const instance = await provider.createInstance(createRequest());
  await provider.deleteInstance(instance.id);
  await provider.teardown();
  return fake.counts().accessKeys;
}

test('static keys win over a profile', async () => {
  assert.deepEqual(
    await keysUsed(
      { AWS_ACCESS_KEY_ID: 'AKIASTATICKEYS000001', AWS_SECRET_ACCESS_KEY: 's' },
      { 'aws-profile': 'peerpods' },
    ),
    ['AKIASTATICKEYS000001'],
  );
});

test('no static keys: -aws-profile names the shared-file profile', async () => {
  assert.deepEqual(await keysUsed({}, { 'aws-profile': 'peerpods' }), ['AKIAFROMPROFILE00001']);
});

test("neither: the SDK's default chain (here its shared-file step, the [default] profile)", async () => {
  assert.deepEqual(await keysUsed({}), ['AKIAFROMDEFAULTCHAIN']);
});
