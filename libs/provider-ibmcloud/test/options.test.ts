import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { ibmCloudProviderFactory } from '../src/factory';
import { IBMCLOUD_OPTIONS } from '../src/options';
import { DEFAULT_VPC_ENDPOINT, ibmCloudSettings } from '../src/settings';

const base: NodeJS.ProcessEnv = {
  IBMCLOUD_API_KEY: 'k',
  IBMCLOUD_ZONE: 'us-south-1',
  IBMCLOUD_VPC_SUBNET_ID: 'subnet-1',
  IBMCLOUD_PODVM_INSTANCE_PROFILE_NAME: 'bx2-2x8',
  IBMCLOUD_CLUSTER_ID: 'cluster-1',
  IBMCLOUD_PODVM_IMAGE_ID: 'image-a, image-b',
};

const settings = (env: NodeJS.ProcessEnv, flags: Record<string, string> = {}) =>
  ibmCloudSettings(resolveOptions(IBMCLOUD_OPTIONS, flags, env).values);

test("upstream's defaults: DISABLECVM true, IAM's endpoint, the vault-token file, us-south when no VPC endpoint is given", () => {
  const resolved = settings(base);
  assert.equal(resolved.disableCvm, true);
  assert.equal(resolved.iamEndpoint, 'https://iam.cloud.ibm.com/identity/token');
  assert.equal(resolved.crTokenFilename, '/var/run/secrets/tokens/vault-token');
  assert.equal(resolved.vpcEndpoint, DEFAULT_VPC_ENDPOINT);
  assert.deepEqual(resolved.imageIds, ['image-a', 'image-b']);
  assert.equal(settings({ ...base, DISABLECVM: 'false' }).disableCvm, false);
  assert.equal(ibmCloudProviderFactory.userDataEncoding, 'raw');
  const secrets = IBMCLOUD_OPTIONS.filter((option) => option.secret).map((option) => option.flag);
  assert.deepEqual(secrets, ['api-key', 'iam-profile-id']);
});

test('missing or bad settings are errors that name the flag, with upstream’s words where it has them', () => {
  assert.throws(
    () => settings({ ...base, IBMCLOUD_ZONE: '' }),
    /^Error: zone was not provided and could not detect automatically$/,
  );
  assert.throws(() => settings({ ...base, IBMCLOUD_PODVM_IMAGE_ID: '' }), /^Error: image-id is empty$/);
  assert.throws(
    () => settings({ ...base, IBMCLOUD_CLUSTER_ID: '' }),
    /-cluster-id \(IBMCLOUD_CLUSTER_ID\) is required/,
  );
  assert.throws(
    () => settings({ ...base, IBMCLOUD_VPC_SUBNET_ID: '' }),
    /-primary-subnet-id \(IBMCLOUD_VPC_SUBNET_ID\) is required/,
  );
  assert.throws(() => settings({ ...base, TAGS: 'ok,peerpods-node:x' }), /-tags may not set peerpods-node/);
  assert.throws(() => settings({ ...base, TAGS: 'a/b' }), /invalid -tags entry "a\/b"/);
  assert.throws(() => settings(base, { 'secondary-security-group-id': 'sg' }), /needs -secondary-subnet-id/);
  assert.throws(() => settings(base, { 'vpc-service-url': 'ftp://x' }), /invalid -vpc-service-url/);
});

test('a sweep needs only credentials and the subnet', () => {
  const sweep = ibmCloudSettings(
    resolveOptions(IBMCLOUD_OPTIONS, {}, { IBMCLOUD_API_KEY: 'k', IBMCLOUD_VPC_SUBNET_ID: 's' }).values,
    { forSweep: true },
  );
  assert.equal(sweep.primarySubnetId, 's');
});
