import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { DEFAULT_ARM_CATALOG } from '@peerpods/fake-arm';
import { parseSandboxAnnotations, selectInstanceType } from '@peerpods/providers';
import { tempDir } from '@peerpods/test-support';
import { azureProviderFactory } from '../src/index';
import { azureSettings } from '../src/settings';
import { azureRig, createRequest, spec } from './support';

test('sizes come from the region’s VM sizes; annotations pick the smallest fit; upstream error strings', async () => {
  const { fake, provider } = await azureRig({
    env: { AZURE_INSTANCE_SIZES: 'Standard_DC2as_v5,Standard_DC4as_v5,Standard_DC8as_v5' },
  });
  const catalog = provider.instanceTypeCatalog();
  assert.deepEqual(
    catalog.types.map((type) => [type.name, type.vcpus, type.memoryMiB]),
    [
      ['Standard_DC2as_v5', 2, 8192],
      ['Standard_DC4as_v5', 4, 16384],
      ['Standard_DC8as_v5', 8, 32768],
    ],
  );
  const a = parseSandboxAnnotations({
    'io.kubernetes.cri.sandbox-name': 'web',
    'io.kubernetes.cri.sandbox-namespace': 'default',
    'io.katacontainers.config.hypervisor.default_vcpus': '4',
    'io.katacontainers.config.hypervisor.default_memory': '12000',
  });
  assert.equal(selectInstanceType(a, catalog).instanceType, 'Standard_DC4as_v5');
  assert.throws(
    () => selectInstanceType({ ...a, instanceType: 'Standard_B2s' }, catalog),
    /requested instance type \("Standard_B2s"\) is not part of supported instance types list/,
  );
  const instance = await provider.createInstance(
    createRequest({ spec: spec({ instanceType: 'Standard_DC4as_v5' }) }),
  );
  assert.equal(fake.inventory().vms[0]?.vmSize, 'Standard_DC4as_v5');
  await provider.deleteInstance(instance.id);
});

test('-disable-cvm on a size without confidential computing; the community gallery image annotation; a public IP first', async () => {
  const { fake, provider } = await azureRig({
    env: { DISABLECVM: 'true', AZURE_INSTANCE_SIZE: 'Standard_B2s', USE_PUBLIC_IP: 'true' },
  });
  const request = createRequest({
    spec: spec({ image: '/CommunityGalleries/peerpods-fake-0000/Images/podvm/Versions/latest' }),
  });
  const instance = await provider.createInstance(request);
  const inventory = fake.inventory();
  assert.equal(inventory.vms[0]?.securityType, undefined, 'an ordinary VM');
  assert.deepEqual(inventory.publicIPAddresses, [`${request.instanceName}-ip`]);
  assert.equal(instance.ips.length, 2, 'public, then private');
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.ok(fake.empty(), JSON.stringify(fake.inventory()), 'the public IP went with the VM');
});

test('the confidential default on a size without it fails with ARM’s words, leaving nothing', async () => {
  const { fake, provider } = await azureRig({ env: { AZURE_INSTANCE_SIZE: 'Standard_B2s' } });
  const error = (await provider.createInstance(createRequest()).catch((caught: unknown) => caught)) as Error;
  assert.match(
    error.message,
    /The VM size 'Standard_B2s' is not supported for creation of VMs with security type 'ConfidentialVM'/,
  );
  assert.ok(fake.empty());
});

test('-ssh-key-path: that key is the admin key; a file that is no key is refused at start', async () => {
  const dir = tempDir();
  const good = join(dir, 'id.pub');
  await writeFile(
    good,
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKf0k0Jd9vZ2l0bJdGVzdGtleWZha2VrZXlmYWtla2V5 admin@example\n',
  );
  await chmod(good, 0o600);
  const { values } = resolveOptions(
    azureProviderFactory.options,
    { 'ssh-key-path': join(dir, 'missing') },
    {},
  );
  assert.throws(() => azureSettings(values), /-subscriptionid \(AZURE_SUBSCRIPTION_ID\) is required/);
  const bad = join(dir, 'bad.pub');
  await writeFile(bad, 'not a key\n');
  const { values: badValues } = resolveOptions(
    azureProviderFactory.options,
    { 'ssh-key-path': bad },
    {
      AZURE_SUBSCRIPTION_ID: DEFAULT_ARM_CATALOG.subscriptionId,
      AZURE_RESOURCE_GROUP: DEFAULT_ARM_CATALOG.resourceGroup,
      AZURE_REGION: DEFAULT_ARM_CATALOG.region,
      AZURE_SUBNET_ID: DEFAULT_ARM_CATALOG.subnets[0]!,
      AZURE_IMAGE_ID: DEFAULT_ARM_CATALOG.images[0]!,
    },
  );
  await assert.rejects(
    azureProviderFactory.create(badValues, { log: () => {}, owner: { nodeName: 'n', clusterId: '' } }),
    /-ssh-key-path .*bad\.pub: not one SSH public key line/,
  );
  const { fake: keyed, provider: withKey } = await azureRig({ keyFile: good });
  const instance = await withKey.createInstance(createRequest());
  assert.deepEqual(
    keyed.inventory().vms[0]?.sshKeys,
    [(await readFile(good, 'utf8')).trim()],
    'the given key, not a throwaway one',
  );
  await withKey.deleteInstance(instance.id);
});

test('bad configuration is refused naming the option', () => {
  const resolve = (env: Record<string, string>) =>
    resolveOptions(azureProviderFactory.options, {}, env).values;
  const base = {
    AZURE_SUBSCRIPTION_ID: 's',
    AZURE_RESOURCE_GROUP: 'g',
    AZURE_REGION: 'eastus',
    AZURE_SUBNET_ID: '/x',
    AZURE_IMAGE_ID: '/i',
  };
  assert.throws(
    () => azureSettings(resolve({ ...base, AZURE_IMAGE_ID: '' })),
    /-imageid \(AZURE_IMAGE_ID\) is required/,
  );
  assert.throws(
    () => azureSettings(resolve({ ...base, AZURE_ARM_ENDPOINT: 'http://127.0.0.1:1' })),
    /invalid -azure-arm-endpoint .*expected https:\/\/host\[:port\]/,
  );
  assert.throws(
    () => azureSettings(resolve({ ...base, ROOT_VOLUME_SIZE: '5000' })),
    /invalid -root-volume-size 5000/,
  );
  assert.throws(
    () => azureSettings(resolve({ ...base, TAGS: 'a' })),
    /invalid -tags entry "a": expected key=value/,
  );
  assert.equal(
    azureSettings(resolve({ AZURE_SUBSCRIPTION_ID: 's', AZURE_RESOURCE_GROUP: 'g' }), { forSweep: true })
      .resourceGroup,
    'g',
    'a sweep needs only subscription and group',
  );
});
