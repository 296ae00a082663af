// Failures of the cloud paths through the daemon, against the fakes: whatever goes wrong, no
// instance is left billing and nothing is left on the worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@peerpods/test-support';
import { startNode } from './support';

for (const [provider, deleted] of [
  ['aws', /deleted instance i-0/],
  ['azure', /deleted VM podvm-/],
] as const) {
  test(`${provider}: an instance that never boots: StartVM fails once -proxy-timeout passes, and the instance is deleted`, {
    timeout: 120_000,
  }, async () => {
    const node = await startNode({ provider, adaptorArgs: ['-proxy-timeout', '3s'] });
    await node.fakeCloud.setFaults({ neverBoot: true });
    await assert.rejects(node.launchPod(), /StartVM/);
    await waitFor(
      () => deleted.test(node.adaptor.output),
      'the failed StartVM to delete its instance',
      60_000,
    );
    assert.deepEqual(await node.fakeCloud.settledInstances(), []);
    assert.deepEqual(await node.stop(), []);
  });
}

test('azure: the VM create fails after its NIC and disk were made: StartVM fails with ARM’s words; VM, NIC and disk are deleted', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ provider: 'azure' });
  await node.fakeCloud.setFaults({ failAfterNic: 1 });
  await assert.rejects(node.launchPod(), /Allocation failed/);
  await waitFor(
    () => /deleted VM podvm-/.test(node.adaptor.output),
    'the failed StartVM to delete what was made',
    60_000,
  );
  assert.deepEqual(await node.fakeCloud.settledInstances(), []);
  assert.deepEqual(await node.stop(), []);
});

test('aws: StopVM while RunInstances is still out (slow cloud): the instance it makes anyway is found by its ClientToken and terminated', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ provider: 'aws' });
  await node.fakeCloud.setFaults({ delays: { RunInstances: 1500 } });
  const abort = new AbortController();
  const launching = node.launchPod({
    signal: abort.signal,
    onStep: (step) => {
      // CreateVM answered: StartVM goes out next; give up on it a moment later.
      if (step.step === 'CreateVM') setTimeout(() => abort.abort(new Error('kubelet gave up')), 300);
    },
  });
  await assert.rejects(launching);
  await waitFor(
    () => /deleted instance i-0/.test(node.adaptor.output),
    'the instance made after StopVM to be deleted',
    60_000,
  );
  await waitFor(
    () => node.adaptor.output.includes('exists although RunInstances failed'),
    'the lookup by ClientToken',
  );
  assert.deepEqual(await node.stop(), []);
});

test('azure: StopVM while the VM create is still being polled: the create is given up and VM, NIC and disk are deleted', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ provider: 'azure' });
  await node.fakeCloud.setFaults({ operationMs: 3000 });
  const abort = new AbortController();
  const launching = node.launchPod({
    signal: abort.signal,
    onStep: (step) => {
      if (step.step === 'CreateVM') setTimeout(() => abort.abort(new Error('kubelet gave up')), 500);
    },
  });
  await assert.rejects(launching);
  await waitFor(
    () => /deleted VM podvm-/.test(node.adaptor.output),
    'the half-made VM to be deleted',
    60_000,
  );
  assert.deepEqual(await node.fakeCloud.settledInstances(), []);
  assert.deepEqual(await node.stop(), []);
});
