import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { FakeEc2 } from '@peerpods/fake-ec2';
import { awsProviderFactory } from '../src/index';
import { createRequest, FAKE_KEYS, OWNER } from './support';

test("region, key pair, subnet and security groups left empty come from the worker's IMDSv2, as upstream", async () => {
  const fake = await FakeEc2.start({
    workerMetadata: {
      keyName: 'peerpods-fake',
      subnetId: 'subnet-0fa4ce0b6a7e1c0aa',
      securityGroupIds: ['sg-0fa4ce0b6a7e1c0bb'],
    },
  });
  after(() => fake.stop());
  delete process.env.AWS_EC2_METADATA_DISABLED;
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = fake.workerMetadataUrl!;
  const logs: string[] = [];
  const { values } = resolveOptions(
    awsProviderFactory.options,
    {},
    {
      ...FAKE_KEYS,
      AWS_ENDPOINT_URL: fake.url,
      PODVM_AMI_ID: 'ami-0fa4ce0b6a7e1c001',
    },
  );
  const provider = await awsProviderFactory.create(values, { log: (line) => logs.push(line), owner: OWNER });
  after(() => provider.teardown());
  assert.ok(
    logs.includes(
      "from the worker's instance metadata: region us-east-1, key pair peerpods-fake, subnet subnet-0fa4ce0b6a7e1c0aa, security groups sg-0fa4ce0b6a7e1c0bb",
    ),
    logs.join('\n'),
  );
  const instance = await provider.createInstance(createRequest());
  assert.equal(fake.live()[0]?.instanceId, instance.id, 'RunInstances accepted what the metadata gave');
  await provider.deleteInstance(instance.id);

  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const { values: noRegion } = resolveOptions(
    awsProviderFactory.options,
    {},
    { ...FAKE_KEYS, PODVM_AMI_ID: 'ami-0fa4ce0b6a7e1c001' },
  );
  await assert.rejects(
    awsProviderFactory.create(noRegion, { log: () => {}, owner: OWNER }),
    /-aws-region \(AWS_REGION\) is empty and the worker's instance metadata did not give it \(AWS_EC2_METADATA_DISABLED is set\); set it/,
  );
});
