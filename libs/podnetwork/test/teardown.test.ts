// Worker teardown removes only what is ours (the link group is a marker only this code sets), copes
// with a half-done setup, and the iptables fast paths (one restore, no table read) are really taken.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { type CommandRunner, getLink, listLinks, NetopsCommandError, runCommand } from '@peerpods/netops';
import { LINK_GROUP_MARKER, linkGroup, PodNetworkError, VxlanWorkerNetwork } from '../src/index';
import { traces } from './support/checks';
import { buildTopology, exec, ip, leftoverNamespaces, requireRoot, Scratch } from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

const settings = { vxlanPort: 4789, vxlanMinId: 555000 };

interface Call {
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string | undefined;
  /** Filled in once the command has ended. */
  ok?: boolean;
}

/**
 * A runner that runs every command for real and records it. `tamper`, when given, may replace a
 * command's execution (it gets the real runner to call).
 */
function recorder(
  tamper?: (file: string, args: readonly string[], input: string | undefined) => Promise<void> | undefined,
): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (file, args, options = {}) => {
    const call: Call = { file, args, input: options.input };
    calls.push(call);
    try {
      const tampered = tamper?.(file, args, options.input);
      const result = tampered === undefined ? await runCommand(file, args, options) : undefined;
      await tampered;
      call.ok = true;
      return result ?? { stdout: '', stderr: '' };
    } catch (error) {
      call.ok = false;
      throw error;
    }
  };
  return { run, calls };
}

/** The command's words after any `ip netns exec NS` / `nsenter --net=…` / `-n NS` prefix. */
function words(call: Call): string[] {
  let rest = [call.file, ...call.args];
  if (rest[0] === 'ip' && rest[1] === 'netns' && rest[2] === 'exec') rest = rest.slice(4);
  else if (rest[0] === 'nsenter') rest = rest.slice(2);
  if ((rest[0] === 'ip' || rest[0] === 'tc') && rest[1] === '-n') rest = [rest[0], ...rest.slice(3)];
  // netops sends a link delete as a one-line batch (written once its watcher is in place).
  const line = call.input?.trim() ?? '';
  if (rest.join(' ') === 'ip -batch -' && line.startsWith('link del ') && !line.includes('\n')) {
    rest = ['ip', ...line.split(' ')];
  }
  return rest;
}
const isRestore = (c: Call) => /iptables[\w-]*-restore$/.test(words(c)[0] ?? '');
const isListing = (c: Call) => /iptables[\w-]*$/.test(words(c)[0] ?? '') && words(c).includes('-S');
function iptablesCounts(calls: readonly Call[]): { restore: number; listing: number } {
  return { restore: calls.filter(isRestore).length, listing: calls.filter(isListing).length };
}

async function linkNames(netns: string): Promise<string[]> {
  return (await listLinks({ netns })).map((l) => l.name).sort();
}

test('the link group is a marker above any VNI, below INT_MAX', () => {
  assert.equal(LINK_GROUP_MARKER, 0x70000000);
  assert.equal(linkGroup(555000), 0x70000000 + 555000);
  assert.equal(linkGroup(2 ** 24 - 1), 0x70ffffff);
  assert.ok(linkGroup(2 ** 24 - 1) <= 2 ** 31 - 1);
});

test('teardown leaves links of other groups alone: a veth in group <vni> (the old group) and one in none', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await worker.setup(request);
  const vxlan1 = await getLink('vxlan1', { netns: topo.pod.path });
  assert.equal(String(vxlan1?.raw.group), String(linkGroup(555000)), 'vxlan1 is in the marker group');
  // Someone else's links: a veth pair in group 555000 (the VNI, the group 59aec22 used) and one without.
  await ip(topo.pod.name, 'link add fa0 type veth peer name fa1');
  await ip(topo.pod.name, 'link set fa0 group 555000');
  await ip(topo.pod.name, 'link set fa1 group 555000');
  await ip(topo.pod.name, 'link add fb0 type veth peer name fb1');
  const others = ['eth0', 'fa0', 'fa1', 'fb0', 'fb1', 'lo'];
  assert.deepEqual(await linkNames(topo.pod.path), [...others, 'vxlan1'].sort());
  await worker.teardown(request);
  assert.deepEqual(await linkNames(topo.pod.path), others);
  assert.deepEqual(await traces(topo.pod), []);
  assert.deepEqual(await traces(topo.worker), []);

  // A vxlan1 as 59aec22 made it (group = VNI) still goes (by the read path), the foreign veths stay.
  await ip(
    topo.worker.name,
    `link add vxlan1 netns ${topo.pod.name} group 555000 type vxlan id 555000 remote 198.51.100.2 dstport 4789`,
  );
  await worker.teardown(request);
  assert.deepEqual(await linkNames(topo.pod.path), others);
  assert.deepEqual(await traces(topo.pod), []);
});

test('lo in the marker group: the group delete is refused, the read path removes vxlan1, teardown succeeds', async () => {
  const topo = await buildTopology(scratch);
  const { run, calls } = recorder();
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path, run });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await worker.setup(request);
  await ip(topo.pod.name, `link set lo group ${linkGroup(555000)}`);
  calls.length = 0;
  await worker.teardown(request);
  const groupDelete = calls.find((c) => words(c).join(' ') === `ip link del group ${linkGroup(555000)}`);
  assert.equal(groupDelete?.ok, false, 'the kernel refuses a group delete that includes lo');
  assert.ok(
    calls.some((c) => words(c).join(' ') === 'ip link del dev vxlan1'),
    'vxlan1 deleted by name after the read',
  );
  assert.deepEqual(await linkNames(topo.pod.path), ['eth0', 'lo']);
  assert.equal((await getLink('lo', { netns: topo.pod.path }))?.up, true, 'lo untouched');
  assert.deepEqual(await traces(topo.pod), []);
  assert.deepEqual(await traces(topo.worker), []);
  assert.equal(worker.allocatedCount, 0);
  await worker.teardown(request); // again: a no-op, still no error
});

test('tc failing without a line number after applying: the eth0 qdisc is undone, the next setup works', async () => {
  const topo = await buildTopology(scratch);
  // The redirect batch runs (the first `applied` lines of it, for real), then "times out": tc's error
  // names no line, as when it is killed.
  let applied = 0;
  const { run } = recorder((file, args, input) => {
    if (input === undefined || !input.includes('redirect dev vxlan1') || applied === 0) return undefined;
    const lines = input.split('\n').slice(0, applied).join('\n');
    return runCommand(file, args, { input: `${lines}\n` }).then(() => {
      throw new NetopsCommandError({
        file,
        args: [...args],
        failure: { kind: 'timeout', timeoutMs: 1 },
        stdout: '',
        stderr: '',
      });
    });
  });
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path, run });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  for (const lines of [4, 2]) {
    applied = lines;
    await assert.rejects(worker.setup(request), (error: unknown) => {
      assert.ok(error instanceof PodNetworkError);
      assert.equal(error.step, 'add tc redirects');
      return true;
    });
    assert.deepEqual(await traces(topo.pod), [], `${lines} lines applied: nothing left in the pod netns`);
    assert.deepEqual(await traces(topo.worker), []);
  }
  applied = 0;
  await worker.setup(request);
  await worker.teardown(request);
  assert.deepEqual(await traces(topo.pod), []);
  assert.deepEqual(await traces(topo.worker), []);
});

test('teardown removes an eth0 qdisc whose redirect target is gone when no vxlan1 of ours remains', async () => {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path });
  const podNetwork = await worker.inspect(topo.pod.path);
  const request = { sandboxId: 'x', netnsPath: topo.pod.path, instanceIps: ['198.51.100.2'], podNetwork };
  await worker.setup(request);
  // vxlan1 goes behind our back (or a failed setup's undo deleted it): eth0's filter now points at `*`.
  await ip(topo.pod.name, 'link del vxlan1');
  const { stdout } = await exec('tc', ['-n', topo.pod.name, 'filter', 'show', 'dev', 'eth0', 'ingress']);
  assert.match(stdout, /Redirect to device \*/);
  assert.deepEqual(await traces(topo.pod), ['ingress qdisc on eth0']);
  await worker.teardown(request);
  assert.deepEqual(await traces(topo.pod), []);
  assert.deepEqual(await traces(topo.worker), []);
  // The pod interface is free again: a new setup works.
  const again = await worker.inspect(topo.pod.path);
  await worker.setup({ ...request, podNetwork: again });
  await worker.teardown({ ...request, podNetwork: again });
  assert.deepEqual(await traces(topo.pod), []);
});

test('iptables fast paths: one restore and no table read, unless another tunnel is alive (setup reads)', async () => {
  requireRoot();
  const topo = await buildTopology(scratch);
  // A second pod netns on the same worker, for the other tunnel.
  const pod2 = await scratch.netns();
  await ip(topo.worker.name, `link add veth2 type veth peer name eth0 netns ${pod2.name}`);
  await ip(topo.worker.name, 'link set veth2 master cni0 up');
  await ip(pod2.name, 'addr add 10.244.7.6/24 dev eth0');
  await ip(pod2.name, 'link set eth0 up');
  await ip(pod2.name, 'route add default via 10.244.7.1 dev eth0');

  const { run, calls } = recorder();
  const worker = new VxlanWorkerNetwork(settings, { hostNetns: topo.worker.path, run });
  const ips = ['198.51.100.2'];
  const one = { sandboxId: 'one', netnsPath: topo.pod.path, instanceIps: ips };
  const two = { sandboxId: 'two', netnsPath: pod2.path, instanceIps: ips };
  const measured = async (fn: () => Promise<void>) => {
    calls.length = 0;
    await fn();
    return iptablesCounts(calls);
  };

  const first = { ...one, podNetwork: await worker.inspect(topo.pod.path) };
  assert.deepEqual(await measured(() => worker.setup(first)), { restore: 1, listing: 0 }, 'setup, alone');
  assert.deepEqual(
    await measured(() => worker.teardown(first)),
    { restore: 1, listing: 0 },
    'teardown, alone',
  );
  assert.deepEqual(await traces(topo.worker), []);

  // With another tunnel alive: setup reads the table first; teardown of our own is still one restore.
  const other = { ...two, podNetwork: await worker.inspect(pod2.path) };
  await worker.setup(other);
  const second = { ...one, podNetwork: await worker.inspect(topo.pod.path) };
  assert.deepEqual(
    await measured(() => worker.setup(second)),
    { restore: 1, listing: 1 },
    'setup, another alive',
  );
  assert.deepEqual(
    await measured(() => worker.teardown(second)),
    { restore: 1, listing: 0 },
    'teardown, another alive',
  );
  const left = (await traces(topo.worker)).filter((line) => line.includes('peerpod [vni:'));
  assert.equal(left.length, 2, 'the other tunnel keeps its two rules');
  assert.deepEqual(
    await measured(() => worker.teardown(other)),
    { restore: 1, listing: 0 },
    'teardown of the last',
  );
  for (const ns of [topo.worker, topo.pod, pod2]) assert.deepEqual(await traces(ns), [], ns.name);
  // Every command of these phases succeeded: no failed restore fell back to a read.
  assert.ok(calls.every((c) => c.ok === true));
});
