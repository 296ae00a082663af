// What breaks: a pod VM's forwarder dies; the daemon dies in the middle of StartVM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '@peerpods/test-support';
import { startNode } from './support';

/** The pid of the program whose command line contains `name`, inside a pod VM's namespace. */
function pidInPodVm(instance: string, name: string): number {
  const pids = execFileSync('ip', ['netns', 'pids', instance], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^\d+$/.test(line));
  const pid = pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(name));
  assert.ok(pid, `${name} runs in ${instance}`);
  return Number(pid);
}

function instanceOf(stateDir: string, podName: string): string {
  const instance = readdirSync(stateDir).find((entry) => entry.startsWith(`podvm-${podName}`));
  assert.ok(instance, `an instance in ${stateDir}`);
  return instance;
}

test("killing one pod VM's forwarder fails that pod's agent calls at once; the other pod is unaffected", {
  timeout: 120_000,
}, async () => {
  const node = await startNode();
  const victim = await node.launchPod({ podName: `${node.worker.name}-a` });
  const other = await node.launchPod({ podName: `${node.worker.name}-b` });
  try {
    const instance = instanceOf(node.adaptor.paths.stateDir, `${node.worker.name}-a`);
    process.kill(pidInPodVm(instance, 'agent-protocol-forwarder'), 'SIGKILL');
    // The agent proxy's connection drops with the forwarder, so the call fails rather than waiting
    // out its (default 30 s) deadline.
    await assert.rejects(victim.agent.check(), (error: Error) => {
      assert.doesNotMatch(error.message, /deadline|timed out/i);
      return true;
    });
    const result = await node.exec(other, { args: ['echo', 'still here'] });
    assert.equal(result.stdout.toString(), 'still here\n');
    assert.equal(result.exitCode, 0);
  } finally {
    await node.stopPod(victim);
    await node.stopPod(other);
  }
  assert.deepEqual(await node.leftoversWhileRunning(), []);
  assert.deepEqual(await node.stop(), []);
});

test('the daemon killed (SIGKILL) in the middle of StartVM: on restart its record says it never ran, and its pod VM is deleted', {
  timeout: 120_000,
}, async () => {
  const node = await startNode();
  const { stateDir } = node.adaptor.paths;
  const launching = node.launchPod({ podName: `${node.worker.name}-x` });
  launching.catch(() => {});
  // The pod VM is being built: its namespace exists and its programs are starting.
  await waitFor(
    () => {
      const instance = readdirSync(stateDir).find((entry) => entry.startsWith('podvm-'));
      return (
        instance !== undefined && existsSync(join(stateDir, instance, 'log/agent-protocol-forwarder.log'))
      );
    },
    'the pod VM to be booting',
    60_000,
  );
  const instance = instanceOf(stateDir, `${node.worker.name}-x`);
  await node.adaptor.kill();
  await assert.rejects(launching);
  assert.ok(existsSync(`/run/netns/${instance}`), 'the orphan is there after the crash');
  assert.notDeepEqual(await node.leftoversWhileRunning(), []);

  await node.restartAdaptor();
  // The sandbox's record says it never got to run: its instance (found by its sandbox id) goes.
  assert.match(
    node.adaptor.output,
    new RegExp(
      `dropped sandbox \\w+ left by an earlier run \\(it was (created|starting) when the previous run ended\\): removed instance ${instance}, tunnel, its directory`,
    ),
  );
  assert.deepEqual(await node.leftoversWhileRunning(), []);
  assert.equal(existsSync(`/run/netns/${instance}`), false);
  // And the node works as before.
  const pod = await node.launchPod();
  assert.equal((await node.exec(pod, { args: ['true'] })).exitCode, 0);
  await node.stopPod(pod);
  assert.deepEqual(await node.stop(), []);
});

test('Ctrl-C relayed to the whole process group during shutdown: teardown children survive it, nothing is left, the log ends with "stopped"', {
  timeout: 120_000,
}, async () => {
  const node = await startNode();
  await node.launchPod();
  // The first SIGINT starts the teardown; copies every 15 ms (echoes to the daemon) land while its
  // ip/tc/iptables run, up to "stopped" (Node itself resets its handlers while exiting).
  const code = await node.adaptor.signalGroup('SIGINT', 15, /\[adaptor\] stopped\n/);
  assert.equal(code, 0, `${node.adaptor.signal} ${node.adaptor.output}`);
  assert.match(node.adaptor.output, /\[adaptor\] stopped\n$/);
  // The pod's own netns and its CNI veth are kubelet's to remove (node.stop does), not the daemon's.
  const kubelets = /^network namespace cni-|^link veth\w+ \(veth\) in /;
  assert.deepEqual(
    (await node.leftoversAfterDaemon()).filter((left) => !kubelets.test(left)),
    [],
  );
  await node.stop();
});
