// The old daemon's side of a surge rollout, with its steps failing: each step still runs, the
// daemon stays alive (an exit would make kubelet restart it and claim the node back), and it says
// what failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeApi } from '@peerpods/kube-client';
import { TextLogger } from '@peerpods/log';
import { Handover } from '../src/kubernetes/handover';
import type { KubernetesMode } from '../src/kubernetes/kubernetes-mode';
import type { NodeCapacity } from '../src/kubernetes/node-capacity';

function cluster(capacity: Partial<NodeCapacity>): KubernetesMode {
  const api = { watchNode: () => ({ stop() {} }) } as unknown as KubeApi;
  return {
    nodeName: 'n1',
    podUid: 'uid-old',
    api,
    capacity: capacity as NodeCapacity,
    imagePullAuth: async () => ({ notes: [] }),
  };
}

test('a hand-over whose steps fail still releases the socket, tears down, stays alive and logs each failure', async () => {
  const logs: string[] = [];
  const steps: string[] = [];
  const handover = new Handover({
    cluster: cluster({}),
    log: new TextLogger('adaptor', { write: (line) => logs.push(line) }),
    leave: async () => {
      steps.push('leave');
      throw new Error('the provider hung');
    },
    releaseSocket: async () => {
      steps.push('release');
      throw new Error('EEXIST: link');
    },
    servesSocket: () => true,
    teardown: async () => {
      steps.push('teardown');
    },
  });
  await handover.to('uid-new');
  assert.deepEqual(steps, ['leave', 'release', 'teardown']);
  assert.equal(handover.started, true);
  assert.ok(logs.some((line) => line.includes('handing over: leaving the sandboxes: the provider hung')));
  assert.ok(logs.some((line) => line.includes('handing over: releasing the socket: EEXIST: link')));
  assert.ok(logs.some((line) => line.includes('handed 0 running sandbox(es) over to daemon pod uid-new')));
  // Kept alive until SIGTERM: then the stop is the hand-over's, and the timer goes.
  assert.equal(await handover.atStop(), true);
});

test('at SIGTERM: a socket a successor took decides without the API; with the socket still ours, an API failure means the usual stop', async () => {
  const logs: string[] = [];
  const log = new TextLogger('adaptor', { write: (line) => logs.push(line) });
  const noop = async () => {};
  let asked = 0;
  const replaced = new Handover({
    cluster: cluster({
      withdrawIfOwner: async () => {
        asked++;
        return true;
      },
      owner: async () => {
        throw new Error('unreachable');
      },
    }),
    log,
    leave: async () => 1,
    releaseSocket: noop,
    servesSocket: () => false,
    teardown: noop,
  });
  assert.equal(await replaced.atStop(), true, 'handed over');
  assert.equal(asked, 0, 'not even asked whether it owns the node');
  assert.ok(
    logs.some((line) => line.includes('handed 1 running sandbox(es) over to daemon pod another daemon pod')),
  );

  const ours = new Handover({
    cluster: cluster({
      withdrawIfOwner: async () => {
        throw new Error('reading node n1: no answer from the API server in 15000 ms');
      },
    }),
    log,
    leave: async () => 0,
    releaseSocket: noop,
    servesSocket: () => true,
    teardown: noop,
  });
  assert.equal(await ours.atStop(), false, 'the usual stop');
  assert.equal(ours.started, false);
  assert.ok(
    logs.some((line) =>
      line.includes('withdrawing kata.peerpods.io/vm from node n1: reading node n1: no answer'),
    ),
  );
});
