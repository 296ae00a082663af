import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { azureRig, createRequest } from './support';

test('no client secret: workload identity (a federated token file) gets the token, as on AKS', async () => {
  const dir = tempDir();
  const tokenFile = join(dir, 'azure-identity-token');
  await writeFile(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln');
  // The chain reads the token file from the process's environment, as the pod's injected one gives it;
  // client id, tenant and authority come from the provider's options.
  process.env.AZURE_FEDERATED_TOKEN_FILE = tokenFile;
  // Were workload identity to fail, managed identity is next: point it at a closed loopback port
  // rather than at 169.254.169.254.
  process.env.IDENTITY_ENDPOINT = 'http://127.0.0.1:9/msi/token';
  process.env.IDENTITY_HEADER = 'unused';
  const { fake, provider, logs } = await azureRig({ env: { AZURE_CLIENT_SECRET: '' } });
  assert.ok(
    logs.some((line) => line.includes('credentials from the default chain')),
    logs.join('\n'),
  );
  const instance = await provider.createInstance(createRequest());
  assert.ok(
    fake.counts().assertionTokens >= 1,
    'a token was issued for the federated token (a client assertion)',
  );
  assert.equal(fake.counts().assertionTokens, fake.counts().tokens, 'and none for a secret');
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.ok(fake.empty());
});
