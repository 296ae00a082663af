// Failures of the aws path through the daemon, against the EC2 fake: whatever goes wrong, no
// instance is left billing and nothing is left on the worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '@peerpods/test-support';
import { startNode } from './support';

test('an instance that never boots: StartVM fails once -proxy-timeout passes, and the instance is terminated', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ provider: 'aws', adaptorArgs: ['-proxy-timeout', '3s'] });
  await node.cloud!.setFaults({ neverBoot: true });
  await assert.rejects(node.launchPod(), /StartVM/);
  await waitFor(
    () => /deleted instance i-0/.test(node.adaptor.output),
    'the failed StartVM to delete its instance',
  );
  assert.deepEqual(await node.cloud!.settledInstances(), []);
  assert.deepEqual(await node.stop(), []);
});

test('StopVM while RunInstances is still out (slow cloud): the instance it makes anyway is found by its ClientToken and terminated', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ provider: 'aws' });
  await node.cloud!.setFaults({ delays: { RunInstances: 1500 } });
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
