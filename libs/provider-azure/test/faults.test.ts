// The fault matrix against the ARM fake; after every case nothing may be left in the resource group.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceCreationError } from '@peerpods/providers';
import { azureRig, createRequest, FAKE_SECRET } from './support';

test('throttled (429 with Retry-After), then allowed: the create succeeds once', async () => {
  const { fake, provider, apiCalls } = await azureRig({
    fake: { throttle: { rates: { writes: { capacity: 1, refillPerSecond: 1 } } } },
  });
  // At once: one PUT takes the only token, the other is answered 429 and retried after Retry-After.
  const [first, second] = await Promise.all([
    provider.createInstance(createRequest()),
    provider.createInstance(createRequest()),
  ]);
  assert.ok(fake.counts().throttled >= 1, 'the second create was answered 429 at least once');
  assert.equal(fake.inventory().vms.length, 2);
  // What the metrics see: every 429 the fake sent, on calls that then succeeded.
  const throttledCalls = apiCalls.filter((call) => call.throttled > 0);
  assert.equal(
    throttledCalls.reduce((sum, call) => sum + call.throttled, 0),
    fake.counts().throttled,
  );
  for (const call of throttledCalls) {
    assert.equal(call.outcome, 'success');
    assert.equal(call.attempts, call.throttled + 1);
  }
  assert.ok(
    apiCalls.some((call) => call.operation === 'PUT Microsoft.Compute/virtualMachines'),
    JSON.stringify(apiCalls.map((call) => call.operation)),
  );
  await provider.deleteInstance(first.id);
  await provider.deleteInstance(second.id);
  await fake.settled();
  assert.ok(fake.empty(), JSON.stringify(fake.inventory()));
});

test('500 on the VM PUT: retried, one VM', async () => {
  const { fake, provider, apiCalls } = await azureRig({ faults: { internalErrors: { 'PUT vm': 2 } } });
  const instance = await provider.createInstance(createRequest());
  assert.equal(fake.counts().calls['PUT vm'], 3);
  assert.deepEqual(
    apiCalls
      .filter((call) => call.operation === 'PUT Microsoft.Compute/virtualMachines')
      .map(({ outcome, attempts, throttled }) => ({ outcome, attempts, throttled })),
    [{ outcome: 'success', attempts: 3, throttled: 0 }],
  );
  assert.equal(fake.inventory().vms.length, 1);
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.ok(fake.empty());
});

test('the create fails after the NIC and disk were made: the error carries the VM id, and deleting it removes VM, NIC and disk', async () => {
  const { fake, provider } = await azureRig({ faults: { failAfterNic: 1 } });
  const request = createRequest();
  const error = await provider.createInstance(request).catch((caught: unknown) => caught);
  assert.ok(error instanceof InstanceCreationError, String(error));
  assert.match(error.message, /AllocationFailed|Allocation failed/);
  assert.deepEqual(fake.inventory().networkInterfaces, [`${request.instanceName}-net`], 'the NIC exists');
  await provider.deleteInstance(error.instance!.id);
  await fake.settled();
  assert.ok(fake.empty(), JSON.stringify(fake.inventory()));
});

test('StopVM while the create is still being polled: the create is given up, and the delete removes everything', async () => {
  const { fake, provider } = await azureRig({ faults: { operationMs: 3000 } });
  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error('StartVM deadline')), 300);
  const error = await provider
    .createInstance(createRequest({ signal: abort.signal }))
    .catch((caught: unknown) => caught);
  assert.ok(error instanceof InstanceCreationError, String(error));
  await provider.deleteInstance(error.instance!.id);
  await fake.settled();
  assert.ok(fake.empty(), JSON.stringify(fake.inventory()));
});

test('deleting a VM that is already gone succeeds', async () => {
  const { fake, provider } = await azureRig();
  const instance = await provider.createInstance(createRequest());
  await provider.deleteInstance(instance.id);
  await provider.deleteInstance(instance.id);
  await provider.deleteInstance('podvm-never-made-0123abcd');
  await fake.settled();
  assert.ok(fake.empty());
});

test('user-data over 64 KiB base64 is refused before any call', async () => {
  const { fake, provider } = await azureRig();
  const before = fake.counts().calls['PUT vm'] ?? 0;
  await assert.rejects(
    provider.createInstance(createRequest({ userData: 'x'.repeat(50_000) })),
    /user data is 66668 bytes base64-encoded, over Azure's limit of 65536/,
  );
  assert.equal(fake.counts().calls['PUT vm'] ?? 0, before);
  assert.ok(fake.empty());
});

test('no log line or error message carries the client secret', async () => {
  const { fake, provider, logs } = await azureRig({ faults: { failAfterNic: 1 } });
  const failure = (await provider
    .createInstance(createRequest())
    .catch((error: unknown) => error)) as InstanceCreationError;
  await provider.deleteInstance(failure.instance!.id);
  await fake.settled();
  const text = `${logs.join('\n')}\n${failure.message}\n${String(failure.cause)}`;
  assert.ok(!text.includes(FAKE_SECRET));
  assert.ok(fake.empty());
});
