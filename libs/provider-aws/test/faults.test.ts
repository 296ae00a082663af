// The fault matrix against the EC2 fake: after every case the fake's live listing is checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceCreationError } from '@peerpods/providers';
import { awsRig, createRequest, FAKE_KEYS } from './support';

test('throttled (RequestLimitExceeded), then allowed: the SDK backs off and the create succeeds once', async () => {
  const { fake, provider, apiCalls } = await awsRig({
    fake: { throttle: { startEmpty: true, rates: { RunInstances: { capacity: 1, refillPerSecond: 2 } } } },
  });
  const instance = await provider.createInstance(createRequest());
  assert.ok(fake.counts().throttled >= 1, 'at least one RequestLimitExceeded was answered');
  assert.equal(fake.live().length, 1, 'exactly one instance');
  // What the metrics see: one RunInstances call, its throttled attempts and the one that worked.
  const runs = apiCalls.filter((call) => call.operation === 'RunInstances');
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.outcome, 'success');
  assert.equal(runs[0]!.attempts, fake.counts().calls.RunInstances);
  assert.equal(runs[0]!.throttled, runs[0]!.attempts - 1);
  const throttledInAll = apiCalls.reduce((sum, call) => sum + call.throttled, 0);
  assert.equal(
    throttledInAll,
    fake.counts().throttled,
    'every RequestLimitExceeded the fake sent is counted',
  );
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('500 on RunInstances (nothing made): retried with the same ClientToken, one instance', async () => {
  const { fake, provider, apiCalls } = await awsRig({ faults: { internalErrors: { RunInstances: 2 } } });
  const instance = await provider.createInstance(createRequest());
  assert.equal(fake.counts().calls.RunInstances, 3, 'two 500s, then the create');
  assert.deepEqual(
    apiCalls
      .filter((call) => call.operation === 'RunInstances')
      .map(({ outcome, attempts, throttled }) => ({ outcome, attempts, throttled })),
    [{ outcome: 'success', attempts: 3, throttled: 0 }],
  );
  assert.equal(fake.live().length, 1);
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('the answer to RunInstances is lost after the instance was made: the retry with the same ClientToken gets that instance, not a second', async () => {
  const { fake, provider } = await awsRig({ faults: { failAfterRunInstances: 2 } });
  const instance = await provider.createInstance(createRequest());
  assert.equal(fake.counts().calls.RunInstances, 3);
  assert.deepEqual(
    fake.live().map((live) => live.instanceId),
    [instance.id],
    'one instance for three RunInstances calls',
  );
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('every attempt fails after the instance was made: the create fails carrying its id, so the daemon deletes it', async () => {
  const { fake, provider } = await awsRig({ faults: { failAfterRunInstances: 100 } });
  const error = await provider.createInstance(createRequest()).catch((caught: unknown) => caught);
  assert.ok(error instanceof InstanceCreationError, String(error));
  assert.match(error.message, /aws: RunInstances: InternalError/);
  const [live] = fake.live();
  assert.equal(error.instance?.id, live?.instanceId, 'found by its ClientToken');
  await provider.deleteInstance(error.instance!.id);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('a slow RunInstances past the StartVM deadline: aborted; the instance it made anyway is found and handed back for deletion', async () => {
  const { fake, provider } = await awsRig({ faults: { delays: { RunInstances: 400 } } });
  const error = await provider
    .createInstance(createRequest({ signal: AbortSignal.timeout(100) }))
    .catch((caught: unknown) => caught);
  // The fake finished the call after the client gave up; the lookup by ClientToken found the instance.
  assert.ok(error instanceof InstanceCreationError, String(error));
  assert.deepEqual(
    fake.live().map((live) => live.instanceId),
    [error.instance?.id],
  );
  await provider.deleteInstance(error.instance!.id);
  await fake.settled();
  assert.deepEqual(fake.live(), []);
});

test('eventual consistency: just after launch the instance is NotFound; a delete at once still terminates it', async () => {
  const { fake, provider } = await awsRig({ faults: { notFoundAfterLaunchMs: 1500 } });
  const instance = await provider.createInstance(createRequest());
  await provider.deleteInstance(instance.id);
  await fake.settled();
  assert.deepEqual(fake.live(), [], 'retried past the NotFound window instead of calling it gone');
  assert.ok((fake.counts().calls.TerminateInstances ?? 0) >= 2);
});

test('deleting an instance that is already gone (another delete, or one never launched here) succeeds', async () => {
  const { fake, provider, logs } = await awsRig();
  const instance = await provider.createInstance(createRequest());
  await provider.deleteInstance(instance.id);
  await fake.settled();
  await provider.deleteInstance(instance.id);
  await provider.deleteInstance('i-0123456789abcdef0');
  assert.ok(
    logs.some((line) => line === 'instance i-0123456789abcdef0 is already gone'),
    logs.join('\n'),
  );
  assert.deepEqual(fake.live(), []);
});

test('a bad request (unknown AMI) fails at once with EC2 code and message, and nothing is made', async () => {
  const { fake, provider } = await awsRig();
  await assert.rejects(
    provider.createInstance(
      createRequest({ spec: { ...createRequest().spec, image: 'ami-0000000000000dead' } }),
    ),
    /aws: DescribeImages ami-0000000000000dead: InvalidAMIID\.NotFound: The image id '\[ami-0000000000000dead\]' does not exist/,
  );
  assert.equal(fake.counts().calls.RunInstances ?? 0, 0);
  assert.deepEqual(fake.live(), []);
});

test('no log line and no error message carries the secret key', async () => {
  const { fake, provider, logs } = await awsRig({ faults: { internalErrors: { RunInstances: 1 } } });
  const instance = await provider.createInstance(createRequest());
  const failure = await provider
    .createInstance(createRequest({ spec: { ...createRequest().spec, image: 'ami-0000000000000dead' } }))
    .catch((error: unknown) => String(error));
  await provider.deleteInstance(instance.id);
  await fake.settled();
  const text = `${logs.join('\n')}\n${failure}`;
  assert.ok(text.length > 0 && !text.includes(FAKE_KEYS.AWS_SECRET_ACCESS_KEY));
  assert.deepEqual(fake.live(), []);
});
