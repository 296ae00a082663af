// ARM's wire rules as the fake enforces them, seen from plain HTTPS requests (the provider's tests
// drive the fake through the real SDKs).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { FakeArm } from '../src/index';

const fake = await FakeArm.start();
after(() => fake.stop());
setDefaultCACertificates([...getCACertificates('default'), fake.ca.certPem]);
const { catalog } = fake;
const vmUrl = (name: string, apiVersion = '2025-04-01') =>
  `${fake.url}/subscriptions/${catalog.subscriptionId}/resourceGroups/${catalog.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}${apiVersion ? `?api-version=${apiVersion}` : ''}`;

async function token(): Promise<string> {
  const response = await fetch(`${fake.url}/${catalog.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'c',
      client_secret: 's',
      scope: 'x/.default',
    }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

test('the token endpoint: OpenID configuration, then a token for a client secret; no secret, no token', async () => {
  const config = (await (
    await fetch(`${fake.url}/${catalog.tenantId}/v2.0/.well-known/openid-configuration`)
  ).json()) as {
    token_endpoint: string;
  };
  assert.equal(config.token_endpoint, `${fake.url}/${catalog.tenantId}/oauth2/v2.0/token`);
  assert.ok((await token()).length > 20);
  const refused = await fetch(config.token_endpoint, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'c' }),
  });
  assert.equal(refused.status, 400);
});

test('ARM: api-version and a bearer token it issued are required; errors are ARM error bodies', async () => {
  const noVersion = await fetch(vmUrl('x', ''), { headers: { authorization: `Bearer ${await token()}` } });
  assert.equal(noVersion.status, 400);
  assert.equal(
    ((await noVersion.json()) as { error: { code: string } }).error.code,
    'MissingApiVersionParameter',
  );
  const noToken = await fetch(vmUrl('x'));
  assert.equal(noToken.status, 401);
  const badToken = await fetch(vmUrl('x'), { headers: { authorization: 'Bearer made-up' } });
  assert.equal(
    ((await badToken.json()) as { error: { code: string } }).error.code,
    'InvalidAuthenticationToken',
  );
  const missing = await fetch(vmUrl('nothing-here'), {
    headers: { authorization: `Bearer ${await token()}` },
  });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ResourceNotFound');
  const deleteMissing = await fetch(vmUrl('nothing-here'), {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await token()}` },
  });
  assert.equal(deleteMissing.status, 204, 'deleting what does not exist is no error in ARM');
});

test('a VM PUT with a size the region lacks is refused with 400 naming it, and nothing is made', async () => {
  const put = (properties: Record<string, unknown>) =>
    token().then((bearer) =>
      fetch(vmUrl('bad'), {
        method: 'PUT',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ location: catalog.region, properties }),
      }),
    );
  const size = await put({ hardwareProfile: { vmSize: 'Standard_Huge' } });
  assert.equal(size.status, 400);
  assert.match(((await size.json()) as { error: { message: string } }).error.message, /Standard_Huge/);
  assert.ok(fake.empty());
});
