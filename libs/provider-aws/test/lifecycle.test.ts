import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OWNER_TAG_CLUSTER, OWNER_TAG_NODE, OWNER_TAG_SANDBOX } from '@peerpods/providers';
import { awsRig, createRequest } from './support';

test('create: RunInstances with image, type, subnet, groups, SEV-SNP, root volume max(flag, AMI), tags, base64 user-data; delete terminates', async () => {
  const { fake, provider } = await awsRig({ env: { TAGS: 'team=infra,cost=42' } });
  const request = createRequest();
  const instance = await provider.createInstance(request);
  assert.match(instance.id, /^i-0[0-9a-f]{16}$/);
  assert.equal(instance.name, request.instanceName);
  assert.match(instance.ips[0]!, /^198\.1[89]\./, 'the private address from the RunInstances answer');
  const [live] = fake.live();
  assert.equal(live?.instanceId, instance.id);
  assert.equal(live.instanceType, 'm6a.large', 'the default type');
  assert.equal(live.imageId, 'ami-0fa4ce0b6a7e1c001');
  assert.equal(live.amdSevSnp, true, 'SEV-SNP unless -disable-cvm');
  assert.equal(live.rootVolumeGiB, 30, 'ROOT_VOLUME_SIZE 30 beats the 8 GiB AMI');
  assert.equal(live.userDataBytes, Buffer.byteLength(request.userData), 'user-data arrives decoded, whole');
  assert.deepEqual(live.tags, {
    team: 'infra',
    cost: '42',
    Name: request.instanceName,
    [OWNER_TAG_SANDBOX]: request.sandboxId,
    [OWNER_TAG_NODE]: 'worker-a',
    [OWNER_TAG_CLUSTER]: 'test-cluster',
  });
  assert.equal(live.clientToken?.length, 64);

  const owned = await provider.listInstances();
  assert.deepEqual(
    owned.map((o) => [o.id, o.name, o.sandboxId]),
    [[instance.id, request.instanceName, request.sandboxId]],
  );
  assert.ok(Date.now() - owned[0]!.createdAt.getTime() < 60_000, 'creation time from LaunchTime');

  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.deepEqual(fake.live(), [], 'terminated');
  assert.deepEqual(await provider.listInstances(), [], 'terminated instances are not listed');
});
