// Restart survival: the daemon killed with SIGKILL while pods run, then started again. Its pods keep
// their pod VMs: a fresh connection to the same agent.ttrpc reaches the same VM, traffic still
// crosses the tunnel, StopVM removes everything, and nothing of the crashed run is left.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AgentSession, type LaunchedSandbox, teardownSandbox } from '@peerpods/shim-client';
import type { LocalNode } from '../src/local-node';
import { WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

/** The pod VM's own network namespace as the container sees it: unchanged only if the VM is the same. */
async function vmIdentity(node: LocalNode, agent: AgentSession): Promise<string> {
  const result = await agent.runContainer({
    args: ['readlink', '/proc/self/ns/net'],
    env: [node.containerMarker],
  });
  assert.equal(result.exitCode, 0, result.stderr.toString());
  return result.stdout.toString().trim();
}

/** Through the tunnel to the worker's web server, from inside the pod. */
async function fetchThroughTunnel(
  node: LocalNode,
  pod: LaunchedSandbox,
  agent: AgentSession,
): Promise<string> {
  const url = `http://${pod.state.podNetwork.gateway}:${WEB_PORT}/`;
  const result = await agent.runContainer({
    args: ['curl', '-sS', '--max-time', '10', url],
    env: [node.containerMarker],
  });
  return result.stdout.toString();
}

/**
 * What a kata shim does after losing its connection: dial the same agent socket again. Each pod
 * must reach the pod VM it had (`before`, from vmIdentity) and the worker through its tunnel.
 */
async function assertSameVmsThroughTunnels(
  node: LocalNode,
  pods: readonly LaunchedSandbox[],
  before: readonly string[],
): Promise<void> {
  for (const [i, pod] of pods.entries()) {
    const agent = await AgentSession.connect(pod.state.agentSocketPath);
    try {
      assert.equal(await vmIdentity(node, agent), before[i], `pod ${i} reaches the same pod VM`);
      assert.ok(
        (await fetchThroughTunnel(node, pod, agent)).includes(WEB_PAGE),
        'the tunnel still carries traffic',
      );
    } finally {
      agent.close();
    }
  }
}

/** Our lines in the worker's raw table, from the leak check's own listing. */
async function notrackLines(node: LocalNode): Promise<string[]> {
  return (await node.leftoversWhileRunning()).filter((line) => line.startsWith('iptables rule in '));
}

for (const provider of ['local', 'aws'] as const) {
  test(`${provider}: kill -9 with 3 pods running, then a restart: every pod answers over a fresh agent connection, from the same pod VM, through the same tunnel; StopVM then removes everything`, {
    timeout: 240_000,
  }, async () => {
    const node = await startNode({ provider });
    const pods: LaunchedSandbox[] = [];
    for (const suffix of ['a', 'b', 'c'])
      pods.push(await node.launchPod({ podName: `${node.worker.name}-${suffix}` }));
    const before = await Promise.all(pods.map((pod) => vmIdentity(node, pod.agent)));
    const rulesBefore = await notrackLines(node);
    assert.equal(rulesBefore.length, 2 * 3 + 4, rulesBefore.join('\n'));

    await node.adaptor.kill();
    for (const pod of pods) {
      pod.agent.close();
      pod.hypervisor.close();
    }
    await node.restartAdaptor();
    await node.adaptor.waitForLog(/restart: 3 sandbox\(es\) adopted, 0 dropped/, 60_000);

    await assertSameVmsThroughTunnels(node, pods, before);
    assert.deepEqual((await notrackLines(node)).sort(), rulesBefore.sort(), 'the same tunnels, no more');

    for (const pod of pods) {
      const stopped = await teardownSandbox(pod.state, { stateDir: false });
      assert.deepEqual(stopped.errors, []);
    }
    // A terminated EC2 instance goes away in the background: wait for the fake cloud to settle.
    if (provider === 'aws') assert.deepEqual(await node.fakeCloud.settledInstances(), []);
    // The fake cloud's own process runs until node.stop(), which checks for leaks once more.
    const left = (await node.leftoversWhileRunning()).filter(
      (line) => !/^process \d+ \(\S+\/fake-ec2 /.test(line),
    );
    assert.deepEqual(left, [], 'StopVM of adopted sandboxes removed everything');
    assert.deepEqual(await notrackLines(node), []);
    assert.deepEqual(await node.stop(), []);
  });
}

test('local: a restart after one pod VM died behind the daemon’s back and with one corrupt record: both are dropped with a clear log line, the third pod is unharmed, and the dead pod’s tunnel is gone', {
  timeout: 240_000,
}, async () => {
  const node = await startNode();
  const pods: LaunchedSandbox[] = [];
  for (const suffix of ['a', 'b', 'c'])
    pods.push(await node.launchPod({ podName: `${node.worker.name}-${suffix}` }));
  const [dead, corrupt, alive] = pods as [LaunchedSandbox, LaunchedSandbox, LaunchedSandbox];
  const aliveVm = await vmIdentity(node, alive.agent);
  const aliveVni = JSON.parse(
    readFileSync(join(node.adaptor.paths.podsDir, alive.state.id, 'sandbox.json'), 'utf8'),
  ).podNetwork.vxlanId as number;
  await node.adaptor.kill();
  for (const pod of pods) {
    pod.agent.close();
    pod.hypervisor.close();
  }
  // The dead pod's VM: its programs gone (the local provider then removes it at start).
  const deadInstance = JSON.parse(
    readFileSync(join(node.adaptor.paths.podsDir, dead.state.id, 'sandbox.json'), 'utf8'),
  ).instance.id as string;
  const pids = execFileSync('ip', ['netns', 'pids', deadInstance], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  writeFileSync(
    join(node.adaptor.paths.podsDir, corrupt.state.id, 'sandbox.json'),
    '{"version": 1, "id": tru',
  );

  await node.restartAdaptor();
  await node.adaptor.waitForLog(/restart: 1 sandbox\(es\) adopted, 2 dropped/, 60_000);
  assert.match(
    node.adaptor.output,
    new RegExp(
      `dropped sandbox ${dead.state.id} left by an earlier run \\(its instance ${deadInstance} is gone\\)`,
    ),
  );
  assert.match(
    node.adaptor.output,
    new RegExp(`sandbox ${corrupt.state.id}: its record cannot be used \\(sandbox.json is not JSON`),
  );
  // The dead pod's namespace keeps nothing of its tunnel.
  const deadLinks = execFileSync('ip', ['-n', dead.state.podNetwork.name, '-br', 'link'], {
    encoding: 'utf8',
  });
  assert.doesNotMatch(deadLinks, /vxlan1/);
  const agent = await AgentSession.connect(alive.state.agentSocketPath);
  assert.equal(await vmIdentity(node, agent), aliveVm);
  agent.close();
  // Only the survivor's VNI keeps NOTRACK rules.
  const vnis = new Set((await notrackLines(node)).flatMap((line) => /vni:(\d+)/.exec(line)?.[1] ?? []));
  assert.deepEqual([...vnis], [String(aliveVni)], 'only the survivor’s VNI keeps NOTRACK rules');

  const stopped = await teardownSandbox(alive.state, { stateDir: false });
  assert.deepEqual(stopped.errors, []);
  // The shim's StopVM for the dropped sandboxes succeeds: their clean-up is done.
  for (const pod of [dead, corrupt]) {
    const result = await teardownSandbox(pod.state, { stateDir: false, agentDialMs: 200 });
    assert.deepEqual(
      result.errors.filter((e) => e.step === 'StopVM'),
      [],
      `StopVM of ${pod.state.id}`,
    );
  }
  assert.deepEqual(await notrackLines(node), []);
  assert.deepEqual(await node.stop(), []);
});

test('local: SIGTERM with -keep-pods-on-exit (a DaemonSet rollout) leaves 2 running pods for the next start, which adopts them; StopVM then removes everything', {
  timeout: 240_000,
}, async () => {
  const node = await startNode({ adaptorArgs: ['-keep-pods-on-exit'] });
  const pods: LaunchedSandbox[] = [];
  for (const suffix of ['a', 'b'])
    pods.push(await node.launchPod({ podName: `${node.worker.name}-${suffix}` }));
  const before = await Promise.all(pods.map((pod) => vmIdentity(node, pod.agent)));
  for (const pod of pods) {
    pod.agent.close();
    pod.hypervisor.close();
  }
  assert.equal(await node.adaptor.stop(), 0, node.adaptor.output);
  assert.match(node.adaptor.output, /kept 2 running sandbox\(es\) for the next start/);
  assert.doesNotMatch(node.adaptor.output, /deleted an instance/);
  await node.restartAdaptor();
  await node.adaptor.waitForLog(/restart: 2 sandbox\(es\) adopted, 0 dropped/, 60_000);
  for (const [i, pod] of pods.entries()) {
    const agent = await AgentSession.connect(pod.state.agentSocketPath);
    assert.equal(await vmIdentity(node, agent), before[i]);
    agent.close();
  }
  for (const pod of pods)
    assert.deepEqual((await teardownSandbox(pod.state, { stateDir: false })).errors, []);
  assert.deepEqual(await node.leftoversWhileRunning(), []);
  assert.deepEqual(await node.stop(), []);
});

test('local, Kubernetes mode: a surge rollout hands 2 running pods from the old daemon to the new one, each still reaching the same pod VM through the same tunnel; the old one, stopped, leaves capacity and socket alone; the new one withdraws them at its stop', {
  timeout: 240_000,
}, async () => {
  const node = await startNode({ kubernetes: { podUid: 'uid-old' } });
  const kube = node.kube!.fake;
  const vmCapacity = () =>
    (kube.get('nodes', node.worker.name)?.status as { capacity?: Record<string, string> } | undefined)
      ?.capacity?.['kata.peerpods.io/vm'];
  const owner = () =>
    kube.get('nodes', node.worker.name)?.metadata?.annotations?.['kata.peerpods.io/caa-owner'];
  const pods: LaunchedSandbox[] = [];
  for (const suffix of ['a', 'b']) {
    const podName = `${node.worker.name}-${suffix}`;
    kube.put('pods', { metadata: { name: podName, namespace: 'default' }, spec: {} });
    pods.push(await node.launchPod({ podName }));
  }
  const before = await Promise.all(pods.map((pod) => vmIdentity(node, pod.agent)));
  const rulesBefore = await notrackLines(node);
  assert.deepEqual([owner(), vmCapacity()], ['uid-old', '10']);
  assert.equal(kube.list('peerpods', 'default').length, 2);

  // The rollout starts the new daemon pod beside the old one; it serves once the old one handed over.
  const old = await node.surgeAdaptor({ POD_UID: 'uid-new' });
  assert.match(old.output, /handed 2 running sandbox\(es\) over to daemon pod uid-new/);
  await node.adaptor.waitForLog(/restart: 2 sandbox\(es\) adopted, 0 dropped/, 60_000);
  for (const pod of pods) {
    pod.agent.close();
    pod.hypervisor.close();
  }
  await assertSameVmsThroughTunnels(node, pods, before);
  assert.deepEqual((await notrackLines(node)).sort(), rulesBefore.sort(), 'the same tunnels, no more');

  // The rollout then deletes the old pod: it owns nothing any more and touches nothing.
  assert.equal(await old.stop(), 0);
  assert.doesNotMatch(old.output, /stopped sandbox|deleted an instance/);
  assert.deepEqual([owner(), vmCapacity()], ['uid-new', '10']);

  for (const pod of pods) {
    const stopped = await teardownSandbox(pod.state, { stateDir: false });
    assert.deepEqual(stopped.errors, []);
  }
  assert.deepEqual(
    kube.list('peerpods', 'default').map((peerPod) => peerPod.metadata?.finalizers),
    [undefined, undefined],
    'both PeerPods released by the daemon that deleted their instances',
  );
  assert.equal(await node.adaptor.stop(), 0);
  assert.equal(vmCapacity(), undefined, 'the owner withdrew the capacity');
  assert.deepEqual(await node.stop(), []);
});
