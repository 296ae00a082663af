// End to end: inspect a CNI-like pod netns from a "worker" namespace, build both sides of the VXLAN
// tunnel (the pod VM side from apf.json), prove traffic both ways, tear down, and check nothing remains.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { parseApfConfig, serializeApfConfig } from '@peerpods/apf-config';
import { getLink } from '@peerpods/netops';
import { VxlanPodVmNetwork, VxlanWorkerNetwork } from '../src/index';
import { echoClient, echoServer, mtuOf, traces } from './support/checks';
import {
  buildTopology,
  inNetns,
  leftoverNamespaces,
  POD_MAC,
  requireRoot,
  Scratch,
} from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

async function endToEnd(options: { podIp?: string; dedicated?: boolean }, diagnostic: (m: string) => void) {
  requireRoot();
  const topo = await buildTopology(scratch, options);
  const calico = options.podIp?.endsWith('/32') === true;
  const worker = new VxlanWorkerNetwork(
    { vxlanPort: 4789, vxlanMinId: 555000, hostInterface: options.dedicated ? 'eth1' : undefined },
    { hostNetns: topo.worker.path },
  );
  const podNetwork = await worker.inspect(topo.pod.path);
  assert.equal(podNetwork.podIp, options.podIp ?? '10.244.7.5/24');
  assert.equal(podNetwork.podHwAddr, POD_MAC);
  assert.equal(podNetwork.interface, 'eth0');
  assert.equal(podNetwork.workerNodeIp, options.dedicated ? '203.0.113.1/24' : '198.51.100.1/24');
  assert.equal(podNetwork.dedicated, options.dedicated === true);
  assert.equal(podNetwork.mtu, 1500);
  assert.equal(podNetwork.index, 0);
  assert.equal(podNetwork.vxlanId, 555000);
  assert.equal(podNetwork.vxlanPort, 4789);
  if (calico) {
    assert.deepEqual(podNetwork.neighbors, [
      { ip: '169.254.1.1', hwAddr: 'ee:ee:ee:ee:ee:ee', dev: 'eth0', state: 'permanent' },
    ]);
    assert.ok(
      podNetwork.routes.some((r) => r.dst === '169.254.1.1/32' && r.gw === undefined && r.scope === 'link'),
    );
    assert.ok(podNetwork.routes.some((r) => r.dst === '0.0.0.0/0' && r.gw === '169.254.1.1'));
  } else {
    assert.deepEqual(podNetwork.routes, [
      { dst: '0.0.0.0/0', gw: '10.244.7.1', dev: 'eth0', protocol: 'boot', scope: 'universe' },
      { dst: '10.244.7.0/24', gw: undefined, dev: 'eth0', protocol: 'kernel', scope: 'link' },
    ]);
  }

  const instanceIps = options.dedicated ? ['198.51.100.2', '203.0.113.2'] : ['198.51.100.2'];
  const started = performance.now();
  await worker.setup({ sandboxId: 'sb-1', netnsPath: topo.pod.path, instanceIps, podNetwork });
  diagnostic(`worker setup: ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(await mtuOf('vxlan1', topo.pod.path), 1450);
  assert.equal((await getLink('vxlan1', { netns: topo.pod.path }))?.vxlan?.remote, instanceIps.at(-1));
  const workerTraces = await traces(topo.worker);
  assert.equal(
    workerTraces.filter((line) => line.includes('peerpod [vni:555000]')).length,
    2,
    workerTraces.join('\n'),
  );
  assert.deepEqual(await traces(topo.pod), [
    'link vxlan1 (vni 555000)',
    'ingress qdisc on eth0',
    'ingress qdisc on vxlan1',
  ]);

  // The pod VM side is driven by apf.json, as agent-protocol-forwarder reads it.
  const apf = parseApfConfig(serializeApfConfig({ podNetwork, podNamespace: 'default', podName: 'nginx' }));
  const vm = new VxlanPodVmNetwork({ rootNetns: topo.vm.path, waitTimeoutMs: 5000, waitTickMs: 100 });
  const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
  const vmStarted = performance.now();
  await vm.setup({
    podNetwork: apf.podNetwork,
    podNamespacePath: vmPod.path,
    hostInterface: options.dedicated ? 'eth1' : undefined,
  });
  diagnostic(`pod VM setup: ${(performance.now() - vmStarted).toFixed(0)} ms`);
  assert.equal(await mtuOf('eth0', vmPod.path), 1450, 'MTU clamped to 1450');

  // Worker → pod IP: answered in the VM's pod netns, through the tunnel.
  const podAddress = (options.podIp ?? '10.244.7.5/24').split('/')[0]!;
  const workerAddress = calico ? '198.51.100.1' : '10.244.7.1';
  await inNetns(topo.worker.name, 'ping', ['-c', '1', '-w', '10', podAddress]);
  await inNetns(topo.worker.name, 'ping', ['-c', '1', '-w', '10', '-M', 'do', '-s', '1372', podAddress]);
  await inNetns(vmPod.name, 'ping', ['-c', '1', '-w', '10', workerAddress]);
  await scratch.server(vmPod.name, echoServer(podAddress, 7007, 'vm:'));
  await scratch.server(topo.worker.name, echoServer('0.0.0.0', 7008, 'worker:'));
  assert.equal(
    (await inNetns(topo.worker.name, process.execPath, echoClient(podAddress, 7007))).trim(),
    'vm:hello',
  );
  assert.equal(
    (await inNetns(vmPod.name, process.execPath, echoClient(workerAddress, 7008))).trim(),
    'worker:hello',
  );

  const vmTeardown = performance.now();
  await vm.teardown();
  diagnostic(`pod VM teardown: ${(performance.now() - vmTeardown).toFixed(0)} ms`);
  const teardownStarted = performance.now();
  await worker.teardown({ sandboxId: 'sb-1', netnsPath: topo.pod.path, podNetwork });
  diagnostic(`worker teardown: ${(performance.now() - teardownStarted).toFixed(0)} ms`);
  await worker.teardown({ sandboxId: 'sb-1', netnsPath: topo.pod.path, podNetwork });
  await vm.teardown();
  for (const ns of [topo.worker, topo.pod, topo.vm, vmPod]) assert.deepEqual(await traces(ns), [], ns.name);
  assert.equal(worker.allocatedCount, 0);
}

test('main path: inspect, both sides, ping and TCP both ways, teardown leaves nothing', async (t) => {
  await endToEnd({}, (m) => t.diagnostic(m));
});

test('dedicated interface: worker -host-interface eth1, remote = instanceIps[1]', async (t) => {
  await endToEnd({ dedicated: true }, (m) => t.diagnostic(m));
});

test('Calico-style /32 pod with a link-scoped gateway route and a permanent neighbour', async (t) => {
  await endToEnd({ podIp: '10.244.7.5/32' }, (m) => t.diagnostic(m));
});

test('teardown, then at once a setup with the same VNI: nothing left in between, traffic flows', async () => {
  requireRoot();
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(
    { vxlanPort: 4789, vxlanMinId: 555000 },
    { hostNetns: topo.worker.path },
  );
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'sb-1', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  const vm = new VxlanPodVmNetwork({ rootNetns: topo.vm.path, waitTimeoutMs: 5000, waitTickMs: 100 });
  const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
  await vm.setup({ podNetwork, podNamespacePath: vmPod.path });
  for (let round = 0; round < 3; round++) {
    await worker.setup(request);
    await inNetns(topo.worker.name, 'ping', ['-c', '1', '-w', '10', '10.244.7.5']);
    await worker.teardown(request);
    // teardown does not wait for the kernel's RCU wait after the link delete: nothing is visible.
    assert.deepEqual(await traces(topo.pod), [], `round ${round}`);
    assert.deepEqual(await traces(topo.worker), [], `round ${round}`);
  }
  await worker.setup(request);
  await worker.teardown(request);
  await worker.setup(request);
  await inNetns(topo.worker.name, 'ping', ['-c', '1', '-w', '10', '10.244.7.5']);
  await vm.teardown();
  await worker.teardown(request);
  for (const ns of [topo.worker, topo.pod, topo.vm, vmPod]) assert.deepEqual(await traces(ns), [], ns.name);
});
