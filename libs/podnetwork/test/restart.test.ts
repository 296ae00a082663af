// What a restarted daemon does with the tunnels of the run before: adopts and repairs those of
// surviving sandboxes, reclaims the NOTRACK rules of the rest; and a pod namespace that vanishes in
// the middle of a teardown counts as torn down (its VNI is free again).
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { type CommandRunner, deleteNetns, getLink, runCommand } from '@peerpods/netops';
import { VxlanWorkerNetwork } from '../src/index';
import { traces } from './support/checks';
import { buildTopology, ip, leftoverNamespaces, Scratch } from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

const settings = { vxlanPort: 4789, vxlanMinId: 555000 };
const NOTRACK_LINES = 6; // two chains, two jumps, two rules

test('the pod namespace deleted during teardown: teardown succeeds, the VNI is released and the next pod gets it', async () => {
  const topo = await buildTopology(scratch);
  let deleted = false;
  // The shim deletes the namespace just as the teardown deletes vxlan1 in it.
  const run: CommandRunner = async (file, args, options = {}) => {
    if (!deleted && options.input?.startsWith('link del')) {
      deleted = true;
      await deleteNetns(topo.pod.name);
    }
    return runCommand(file, args, options);
  };
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path, run });
  const podNetwork = await worker.inspect(topo.pod.path);
  assert.equal(podNetwork.vxlanId, 555000);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await worker.setup(request);
  await worker.teardown(request);
  assert.ok(deleted, 'the namespace went in the middle of the teardown');
  assert.equal(worker.allocatedCount, 0, 'the VNI is free again');
  assert.deepEqual(await traces(topo.worker), [], 'the NOTRACK rules are gone too');

  // The next pod, on the same worker: it gets the VNI.
  const next = await buildTopology(scratch);
  const reused = await worker.inspect(next.pod.path);
  assert.equal(reused.vxlanId, 555000, 'the same worker hands the VNI out again');
});

test('a restarted daemon adopts an intact tunnel, reserves its VNI, and repairs one whose vxlan1 went', async () => {
  const topo = await buildTopology(scratch);
  const first = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await first.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await first.setup(request);
  const built = [...(await traces(topo.pod)), ...(await traces(topo.worker))];

  // The daemon crashed; its successor takes the tunnel over.
  const second = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  assert.equal(await second.adopt(request), 'intact');
  assert.equal(second.allocatedCount, 1);
  assert.deepEqual([...(await traces(topo.pod)), ...(await traces(topo.worker))], built, 'nothing changed');

  // vxlan1 deleted behind its back (and the redirect with it): the next successor rebuilds it.
  await ip(topo.pod.name, 'link del vxlan1');
  const third = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  assert.equal(await third.adopt(request), 'repaired');
  const vxlan1 = await getLink('vxlan1', { netns: topo.pod.path });
  assert.equal(vxlan1?.vxlan?.id, 555000);
  assert.equal(vxlan1?.vxlan?.remote, '198.51.100.2');
  assert.deepEqual([...(await traces(topo.pod)), ...(await traces(topo.worker))], built, 'as built at first');

  await third.teardown(request);
  assert.equal(third.allocatedCount, 0);
  assert.deepEqual([...(await traces(topo.pod)), ...(await traces(topo.worker))], []);
});

test('reclaim removes the NOTRACK rules of VNIs no sandbox holds, and keeps those it is told to', async () => {
  const topo = await buildTopology(scratch);
  const first = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await first.inspect(topo.pod.path);
  await first.setup({ sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork });
  assert.equal((await traces(topo.worker)).length, NOTRACK_LINES);

  const successor = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  assert.deepEqual(await successor.reclaim(new Set([555000])), []);
  assert.equal((await traces(topo.worker)).length, NOTRACK_LINES, 'kept');
  assert.deepEqual(await successor.reclaim(new Set()), [555000]);
  assert.deepEqual(await traces(topo.worker), [], 'rules, chains and jumps gone');
  assert.deepEqual(await successor.reclaim(new Set()), [], 'nothing left to reclaim');
});
