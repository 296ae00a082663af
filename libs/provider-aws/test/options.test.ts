import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { parseSandboxAnnotations, selectInstanceType } from '@peerpods/providers';
import { awsProviderFactory } from '../src/index';
import { awsSettings } from '../src/settings';
import { awsRig, createRequest, OWNER, spec } from './support';

const annotations = (extra: Record<string, string>) =>
  parseSandboxAnnotations({
    'io.kubernetes.cri.sandbox-name': 'web',
    'io.kubernetes.cri.sandbox-namespace': 'default',
    ...extra,
  });

test('instance types: sizes come from DescribeInstanceTypes; annotations pick the smallest fit; upstream error strings', async () => {
  const { fake, provider } = await awsRig({
    env: { PODVM_INSTANCE_TYPES: 't3.small,m6a.large,m6a.xlarge,g5.xlarge', DISABLECVM: 'true' },
  });
  const catalog = provider.instanceTypeCatalog();
  assert.deepEqual(
    catalog.types.map((type) => [type.name, type.vcpus, type.memoryMiB, type.gpus]),
    [
      ['t3.small', 2, 2048, 0],
      ['m6a.large', 2, 8192, 0],
      ['m6a.xlarge', 4, 16384, 0],
      ['g5.xlarge', 4, 16384, 1],
    ],
  );
  const pick = (extra: Record<string, string>) => {
    const a = annotations(extra);
    return selectInstanceType(
      { instanceType: a.instanceType, vcpus: a.vcpus, memoryMiB: a.memoryMiB, gpus: a.gpus },
      catalog,
    ).instanceType;
  };
  assert.equal(
    pick({
      'io.katacontainers.config.hypervisor.default_vcpus': '3',
      'io.katacontainers.config.hypervisor.default_memory': '8192',
    }),
    'm6a.xlarge',
  );
  assert.equal(pick({ 'io.katacontainers.config.hypervisor.default_gpus': '1' }), 'g5.xlarge');
  assert.equal(pick({}), 'm6a.large', 'no annotation: the default type');
  assert.throws(
    () => pick({ 'io.katacontainers.config.hypervisor.machine_type': 'm6a.32xlarge' }),
    /requested instance type \("m6a\.32xlarge"\) is not part of supported instance types list/,
  );
  assert.throws(
    () =>
      pick({
        'io.katacontainers.config.hypervisor.default_vcpus': '64',
        'io.katacontainers.config.hypervisor.default_memory': '8192',
      }),
    /no instance type found for the given vcpus \(64\) and memory \(8192\)/,
  );
  const instance = await provider.createInstance(
    createRequest({ spec: spec({ instanceType: 'g5.xlarge' }) }),
  );
  assert.equal(fake.live()[0]?.instanceType, 'g5.xlarge', 'what was selected is what RunInstances asked for');
  assert.equal(fake.live()[0]?.amdSevSnp, false, 'DISABLECVM=true: no CpuOptions');
  await provider.deleteInstance(instance.id);
});

test('the image annotation wins; the root volume is raised to the AMI size when the flag is smaller', async () => {
  const { fake, provider } = await awsRig({ env: { ROOT_VOLUME_SIZE: '20' } });
  const instance = await provider.createInstance(
    createRequest({ spec: spec({ image: 'ami-0fa4ce0b6a7e1c002' }) }),
  );
  const [live] = fake.live();
  assert.equal(live?.imageId, 'ami-0fa4ce0b6a7e1c002');
  assert.equal(live?.rootVolumeGiB, 50, 'max(20, the 50 GiB of that AMI)');
  await provider.deleteInstance(instance.id);
});

test('-use-public-ip: the instance gets a public address and it comes first, once the instance runs', async () => {
  const { fake, provider } = await awsRig({ env: { USE_PUBLIC_IP: 'true' } });
  const instance = await provider.createInstance(createRequest());
  assert.equal(instance.ips.length, 2, 'public, then private');
  assert.match(instance.ips[0]!, /^198\.1[89]\./);
  assert.equal((fake.counts().calls.DescribeInstances ?? 0) >= 1, true, 'waited with DescribeInstances');
  await provider.deleteInstance(instance.id);
});

test('-use-lt: RunInstances names the launch template, not image, type, subnet or groups', async () => {
  const { fake, provider } = await awsRig({ env: { USE_PODVM_LAUNCHTEMPLATE: 'true', PODVM_AMI_ID: '' } });
  const instance = await provider.createInstance(createRequest());
  const [live] = fake.live();
  assert.equal(live?.imageId, 'ami-0fa4ce0b6a7e1c001', "the template's image");
  assert.equal(live?.instanceType, 'm6a.large', "the template's type");
  await provider.deleteInstance(instance.id);
});

test('bad configuration is refused at start, naming the option; secrets never appear in the message', async () => {
  const resolve = (env: Record<string, string>) => resolveOptions(awsProviderFactory.options, {}, env).values;
  assert.throws(
    () => awsSettings(resolve({ AWS_SECRET_ACCESS_KEY: 'very-secret-value' })),
    (error: Error) =>
      /-aws-access-key-id and -aws-secret-key .* go together: only -aws-secret-key is set/.test(
        error.message,
      ) && !error.message.includes('very-secret-value'),
  );
  assert.throws(
    () => awsSettings(resolve({ AWS_ENDPOINT_URL: 'localhost:4566' })),
    /invalid -aws-endpoint "localhost:4566": expected an http\(s\) URL/,
  );
  assert.throws(
    () => awsSettings(resolve({ TAGS: 'peerpods-node=x' })),
    /the key peerpods-node is set by peer pods itself/,
  );
  assert.throws(() => awsSettings(resolve({ ROOT_VOLUME_SIZE: '-1' })), /invalid -root-volume-size -1/);
  await assert.rejects(
    awsProviderFactory.create(resolve({ AWS_REGION: 'us-east-1' }), { log: () => {}, owner: OWNER }),
    /-imageid \(PODVM_AMI_ID\) is required unless -use-lt/,
  );
  const profile = awsSettings(resolve({ AWS_REGION: 'us-east-1' }));
  assert.equal(
    profile.credentials.kind,
    'default-chain',
    'no keys, no profile: the SDK default chain (IRSA included)',
  );
});

test('an unknown instance type in the configured list fails the start with EC2s words', async () => {
  await assert.rejects(
    awsRig({ env: { PODVM_INSTANCE_TYPES: 'm6a.large,x9.huge' } }),
    /aws: InvalidInstanceType: The following supplied instance types do not exist: \[x9\.huge\]/,
  );
});
