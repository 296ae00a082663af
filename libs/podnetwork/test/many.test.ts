// Many tunnels at once on one worker: distinct VNIs and link names, all removed at the end.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { listLinks } from '@peerpods/netops';
import { VxlanWorkerNetwork } from '../src/index';
import { traces } from './support/checks';
import { buildTopology, ip, leftoverNamespaces, Scratch } from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

const COUNT = 20;

test(`${COUNT} tunnels set up and torn down concurrently on one worker`, async (t) => {
  const topo = await buildTopology(scratch);
  const pods = [topo.pod];
  for (let i = 1; i < COUNT; i++) {
    const pod = await scratch.netns();
    await ip(topo.worker.name, `link add veth${i + 1} type veth peer name eth0 netns ${pod.name}`);
    await ip(topo.worker.name, `link set veth${i + 1} master cni0 up`);
    await ip(pod.name, `addr add 10.244.7.${10 + i}/24 dev eth0`);
    await ip(pod.name, 'link set eth0 up');
    await ip(pod.name, 'route add default via 10.244.7.1 dev eth0');
    pods.push(pod);
  }
  const worker = new VxlanWorkerNetwork(
    { vxlanPort: 4789, vxlanMinId: 555000 },
    { hostNetns: topo.worker.path },
  );
  const networks = await Promise.all(pods.map((pod) => worker.inspect(pod.path)));
  const started = performance.now();
  await Promise.all(
    networks.map((podNetwork, i) =>
      worker.setup({
        sandboxId: `sb-${i}`,
        netnsPath: pods[i]!.path,
        instanceIps: [`198.51.100.${100 + i}`],
        podNetwork,
      }),
    ),
  );
  const setupMs = performance.now() - started;
  const vnis = await Promise.all(
    pods.map(
      async (pod) => (await listLinks({ netns: pod.path })).find((l) => l.name === 'vxlan1')?.vxlan?.id,
    ),
  );
  assert.equal(new Set(vnis).size, COUNT);
  assert.deepEqual(
    [...vnis].sort(),
    Array.from({ length: COUNT }, (_, i) => 555000 + i),
  );
  const ruleLines = (await traces(topo.worker)).filter((line) => line.includes('NOTRACK'));
  assert.equal(ruleLines.length, 2 * COUNT);
  const teardownStarted = performance.now();
  await Promise.all(
    networks.map((podNetwork, i) =>
      worker.teardown({ sandboxId: `sb-${i}`, netnsPath: pods[i]!.path, podNetwork }),
    ),
  );
  const teardownMs = performance.now() - teardownStarted;
  t.diagnostic(`${COUNT} setups: ${setupMs.toFixed(0)} ms, ${COUNT} teardowns: ${teardownMs.toFixed(0)} ms`);
  assert.deepEqual(await traces(topo.worker), []);
  for (const pod of pods) assert.deepEqual(await traces(pod), [], pod.name);
  assert.equal(worker.allocatedCount, 0);
});
