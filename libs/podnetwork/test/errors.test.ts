// Bad input and failures: each leaves nothing half-configured and says what went wrong.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { detectIptables, getLink, NetnsNotFoundError } from '@peerpods/netops';
import { tempDir } from '@peerpods/test-support';
import { linkGroup, PodNetworkError, VxlanPodVmNetwork, VxlanWorkerNetwork } from '../src/index';
import { traces } from './support/checks';
import { buildTopology, exec, ip, leftoverNamespaces, requireRoot, Scratch } from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

const settings = { vxlanPort: 4789, vxlanMinId: 555000 };

test('inspect of a netns path that does not exist: netops error', async () => {
  requireRoot();
  const worker = new VxlanWorkerNetwork(settings);
  await assert.rejects(worker.inspect('/run/netns/ppn-no-such-netns'), (error: unknown) => {
    assert.ok(error instanceof NetnsNotFoundError);
    assert.match(
      (error as Error).message,
      /network namespace \/run\/netns\/ppn-no-such-netns does not exist/,
    );
    return true;
  });
  assert.equal(worker.allocatedCount, 0);
});

test('inspect of a pod interface with two IPv4 addresses says what it found', async () => {
  const topo = await buildTopology(scratch);
  await ip(topo.pod.name, 'addr add 10.244.7.6/24 dev eth0');
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  await assert.rejects(worker.inspect(topo.pod.path), {
    message: `pod interface eth0 in ${topo.pod.path} has 2 IPv4 addresses (10.244.7.5/24, 10.244.7.6/24); expected exactly one`,
  });
  assert.equal(worker.allocatedCount, 0);
});

test('20 concurrent inspects get distinct indexes; a VNI already in the kernel is skipped', async () => {
  const topo = await buildTopology(scratch);
  // Someone else's tunnel with VNI 555003 in the worker netns.
  await ip(topo.worker.name, 'link add other type vxlan id 555003 remote 198.51.100.9 dstport 4789');
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const networks = await Promise.all(Array.from({ length: 20 }, () => worker.inspect(topo.pod.path)));
  const indexes = networks.map((n) => n.index).sort((a, b) => a - b);
  assert.deepEqual(indexes, [0, 1, 2, ...Array.from({ length: 17 }, (_, i) => i + 4)]);
  assert.ok(networks.every((n) => n.vxlanId === 555000 + n.index));
  // Forcing the used VNI fails cleanly.
  const forced = { ...networks[0]!, index: 3, vxlanId: 555003 };
  await assert.rejects(
    worker.setup({
      sandboxId: 'x',
      netnsPath: topo.pod.path,
      instanceIps: ['198.51.100.2'],
      podNetwork: forced,
    }),
    (error: unknown) => {
      assert.ok(error instanceof PodNetworkError);
      assert.match((error as Error).message, /vni 555003 is already used by other in the host netns/);
      return true;
    },
  );
  assert.deepEqual(await traces(topo.worker), ['link other (vni 555003)']);
  assert.deepEqual(await traces(topo.pod), []);
  // Teardown without setup (CreateVM failed after inspect) only releases the index.
  await worker.teardown({ sandboxId: 'x', netnsPath: topo.pod.path, podNetwork: networks[0]! });
  assert.equal(worker.allocatedCount, 19);
  assert.equal((await worker.inspect(topo.pod.path)).index, networks[0]!.index);
});

test('iptables missing: clear error, nothing half-configured, on both sides', async () => {
  const topo = await buildTopology(scratch);
  const empty = tempDir('peerpods-podnetwork-');
  const iptables = () => detectIptables({ searchPath: empty });
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path, iptables });
  const podNetwork = await worker.inspect(topo.pod.path);
  await assert.rejects(
    worker.setup({ sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork }),
    /worker setup of vni 555000 for sandbox x failed at "find iptables": iptables not found/,
  );
  const vm = new VxlanPodVmNetwork({
    rootNetns: topo.vm.path,
    iptables,
    waitTimeoutMs: 1000,
    waitTickMs: 100,
  });
  const vmPodPath = `/run/netns/${topo.vmPodName}`;
  await assert.rejects(
    vm.setup({ podNetwork, podNamespacePath: vmPodPath }),
    /pod VM setup of vni 555000 failed at "find iptables": iptables not found/,
  );
  for (const ns of [topo.worker, topo.pod, topo.vm, { name: topo.vmPodName, path: vmPodPath }]) {
    assert.deepEqual(await traces(ns), [], ns.name);
  }
});

test('a failing step is undone: pod VM side with a bad route, worker side with a bad remote', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  await assert.rejects(
    worker.setup({ sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['not-an-ip'], podNetwork }),
    /failed at "check": no IPv4 instance IP for the tunnel in \[not-an-ip\]/,
  );
  // The create fails (the pod netns already has a vxlan1, here a veth): the iptables rules added at
  // the same time are undone, and the other vxlan1 is left alone.
  await ip(topo.pod.name, 'link add vxlan1 type veth peer name ppx2');
  await assert.rejects(
    worker.setup({ sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork }),
    (error: unknown) => {
      assert.ok(error instanceof PodNetworkError);
      assert.equal((error as PodNetworkError).step, 'create vxlan link');
      assert.match(
        (error as Error).message,
        new RegExp(
          `failed at "create vxlan link": ${topo.pod.path} already has vxlan1 \\(ip -n ${topo.worker.name} -batch -: exit 1: RTNETLINK answers: File exists \\(line 1: link add vxlan1 netns ${topo.pod.name} group ${linkGroup(555000)} mtu 1450 up type vxlan id 555000`,
        ),
      );
      return true;
    },
  );
  assert.equal((await getLink('vxlan1', { netns: topo.pod.path }))?.kind, 'veth');
  await ip(topo.pod.name, 'link del vxlan1');
  assert.deepEqual(await traces(topo.worker), []);
  assert.deepEqual(await traces(topo.pod), []);

  // The redirects fail (the pod interface already has an ingress qdisc): the link and the rules are
  // undone, the other qdisc stays.
  await exec('tc', ['-n', topo.pod.name, 'qdisc', 'add', 'dev', 'eth0', 'ingress']);
  await assert.rejects(
    worker.setup({ sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork }),
    (error: unknown) => {
      assert.ok(error instanceof PodNetworkError);
      assert.equal((error as PodNetworkError).step, 'add tc redirects');
      assert.match(
        (error as Error).message,
        new RegExp(
          `failed at "add tc redirects": eth0 in ${topo.pod.path} already has an ingress qdisc \\(tc -n ${topo.pod.name} -batch -: exit 1: .*\\(line 1: qdisc add dev eth0 ingress\\)\\)`,
        ),
      );
      return true;
    },
  );
  assert.deepEqual(await traces(topo.pod), ['ingress qdisc on eth0']);
  await exec('tc', ['-n', topo.pod.name, 'qdisc', 'del', 'dev', 'eth0', 'ingress']);
  assert.deepEqual(await traces(topo.worker), []);
  assert.deepEqual(await traces(topo.pod), []);

  const vm = new VxlanPodVmNetwork({ rootNetns: topo.vm.path, waitTimeoutMs: 1000, waitTickMs: 100 });
  const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
  const broken = {
    ...podNetwork,
    routes: [...podNetwork.routes, { dst: '10.99.0.0/16', gw: '10.250.0.1', dev: 'eth0' }],
  };
  await assert.rejects(vm.setup({ podNetwork: broken, podNamespacePath: vmPod.path }), (error: unknown) => {
    assert.ok(error instanceof PodNetworkError);
    assert.equal((error as PodNetworkError).step, 'configure the pod interface');
    assert.match((error as Error).message, /route add 10\.99\.0\.0\/16 via 10\.250\.0\.1/);
    return true;
  });
  assert.deepEqual(await traces(topo.vm), []);
  assert.deepEqual(await traces(vmPod), []);
});

test("pod VM side: an interface of the pod's name already in the pod netns fails the create and stays; nothing else is left", async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const vm = new VxlanPodVmNetwork({ rootNetns: topo.vm.path, waitTimeoutMs: 1000, waitTickMs: 100 });
  const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
  await exec('ip', ['netns', 'add', vmPod.name]);
  await ip(vmPod.name, `link add ${podNetwork.interface} type veth peer name ppx3`);
  await assert.rejects(vm.setup({ podNetwork, podNamespacePath: vmPod.path }), (error: unknown) => {
    assert.ok(error instanceof PodNetworkError);
    assert.equal((error as PodNetworkError).step, 'create vxlan link');
    assert.match(
      (error as Error).message,
      new RegExp(`failed at "create vxlan link": ${vmPod.path} already has ${podNetwork.interface}$`),
    );
    return true;
  });
  assert.equal((await getLink(podNetwork.interface, { netns: vmPod.path }))?.kind, 'veth');
  assert.deepEqual(await traces(topo.vm), [], 'the NOTRACK rules added at the same time are undone');
});

test('pod VM side: a restarted forwarder setting up a live tunnel again fails and leaves it (and its rules) as they were', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
  const options = { rootNetns: topo.vm.path, waitTimeoutMs: 1000, waitTickMs: 100 };
  const first = new VxlanPodVmNetwork(options);
  await first.setup({ podNetwork, podNamespacePath: vmPod.path });
  const before = [await traces(topo.vm), await traces(vmPod)];
  assert.notDeepEqual(before[0], []);
  await assert.rejects(
    new VxlanPodVmNetwork(options).setup({ podNetwork, podNamespacePath: vmPod.path }),
    new RegExp(`failed at "create vxlan link": ${vmPod.path} already has ${podNetwork.interface}`),
  );
  assert.deepEqual([await traces(topo.vm), await traces(vmPod)], before);
  await first.teardown();
  assert.deepEqual(await traces(topo.vm), []);
  await worker.teardown({ sandboxId: 'x', netnsPath: topo.pod.path, podNetwork });
});

test('a second setup of a working tunnel fails and leaves the tunnel working', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await worker.setup(request);
  const before = [await traces(topo.worker), await traces(topo.pod)];
  await assert.rejects(worker.setup(request), (error: unknown) => {
    assert.ok(error instanceof PodNetworkError);
    assert.equal((error as PodNetworkError).step, 'create vxlan link');
    assert.match((error as Error).message, new RegExp(`${topo.pod.path} already has vxlan1`));
    return true;
  });
  assert.deepEqual([await traces(topo.worker), await traces(topo.pod)], before);
  await worker.teardown(request);
  assert.deepEqual(await traces(topo.worker), []);
  assert.deepEqual(await traces(topo.pod), []);
});

test('teardown deletes only ours: a vxlan1 without the link group goes if it has our VNI', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, podNetwork };
  const tc = (line: string) => exec('tc', ['-n', topo.pod.name, ...line.split(' ')]);
  const redirect =
    'filter add dev eth0 parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev vxlan1';
  // As an earlier version built it: no link group.
  await ip(
    topo.worker.name,
    `link add vxlan1 netns ${topo.pod.name} type vxlan id 555000 remote 198.51.100.2 dstport 4789`,
  );
  await tc('qdisc add dev eth0 ingress');
  await tc(redirect);
  await worker.teardown(request);
  assert.deepEqual(await traces(topo.pod), []);
  // Another VNI's vxlan1 stays.
  await ip(
    topo.worker.name,
    `link add vxlan1 netns ${topo.pod.name} type vxlan id 556000 remote 198.51.100.2 dstport 4789`,
  );
  await worker.teardown(request);
  assert.deepEqual(await traces(topo.pod), ['link vxlan1 (vni 556000)']);
});

test('pod VM side: waiting for the primary interface is bounded', async () => {
  requireRoot();
  const bare = await scratch.netns();
  const vm = new VxlanPodVmNetwork({ rootNetns: bare.path, waitTimeoutMs: 300, waitTickMs: 50 });
  const podNetwork = {
    podIp: '10.244.7.5/24',
    podHwAddr: '0a:58:0a:f4:07:05',
    interface: 'eth0',
    workerNodeIp: '198.51.100.1/24',
    tunnelType: 'vxlan',
    routes: [],
    neighbors: [],
    mtu: 1500,
    index: 0,
    vxlanId: 555000,
    vxlanPort: 4789,
    dedicated: false,
    externalNetViaPodVm: false,
  };
  await assert.rejects(
    vm.setup({ podNetwork, podNamespacePath: `/run/netns/${scratch.name()}` }),
    /failed at "wait for the primary interface": timed out: no IPv4 default route/,
  );
});
