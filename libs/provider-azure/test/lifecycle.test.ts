import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OWNER_TAG_CLUSTER, OWNER_TAG_NODE, OWNER_TAG_SANDBOX } from '@peerpods/providers';
import { azureRig, createRequest } from './support';

test('create: one VM PUT (LRO polled) with NIC <name>-net and disk <name>-disk deleted with it, CVM, SSH key, base64 user-data, tags; delete removes it all', async () => {
  const { fake, provider } = await azureRig({ env: { TAGS: 'team=infra' } });
  const request = createRequest();
  const instance = await provider.createInstance(request);
  assert.equal(
    instance.id,
    `/subscriptions/${fake.catalog.subscriptionId}/resourceGroups/${fake.catalog.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${request.instanceName}`,
  );
  assert.match(instance.ips[0]!, /^198\.1[89]\./, "the NIC's private address");
  const inventory = fake.inventory();
  assert.deepEqual(inventory.networkInterfaces, [`${request.instanceName}-net`]);
  assert.deepEqual(inventory.disks, [`${request.instanceName}-disk`]);
  const [vm] = inventory.vms;
  assert.equal(vm?.state, 'Succeeded');
  assert.equal(vm.vmSize, 'Standard_DC2as_v5', 'the default size');
  assert.equal(vm.securityType, 'ConfidentialVM', 'confidential unless -disable-cvm');
  assert.equal(vm.sshKeys.length, 1);
  assert.match(
    vm.sshKeys[0]!,
    /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} peerpod@podvm-/,
    'a throwaway key',
  );
  assert.equal(vm.userDataBytes, Buffer.byteLength(request.userData));
  assert.deepEqual(vm.tags, {
    team: 'infra',
    [OWNER_TAG_SANDBOX]: request.sandboxId,
    [OWNER_TAG_NODE]: 'worker-a',
    [OWNER_TAG_CLUSTER]: 'test-cluster',
  });
  assert.ok(fake.counts().tokens >= 1, '@azure/identity got its token from the fake');

  const owned = await provider.listInstances();
  assert.deepEqual(
    owned.map((o) => [o.name, o.sandboxId]),
    [[request.instanceName, request.sandboxId]],
  );

  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.ok(fake.empty(), JSON.stringify(fake.inventory()));
  assert.deepEqual(await provider.listInstances(), []);
});
