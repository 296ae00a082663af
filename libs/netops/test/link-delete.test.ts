import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  type CommandRunner,
  deleteLink,
  getLink,
  hasDevice,
  ipBatch,
  NetopsCommandError,
  runCommand,
} from '../src/index';
import { requireRoot, Scratch } from './support/scratch';

describe('deleteLink', () => {
  const scratch = new Scratch();
  afterEach(() => scratch.cleanup());

  test('the link is gone when it resolves; its name and VNI can be used again at once; by group', async () => {
    requireRoot();
    // W has the underlay and the VXLAN's socket; the link itself lives in P.
    const w = await scratch.netns();
    const p = await scratch.netns();
    await ipBatch(
      ['link add uw type veth peer name uv', 'addr add 198.51.100.1/24 dev uw', 'link set uw up'],
      {
        netns: w.path,
      },
    );
    const create = `link add vxlan1 netns ${p.name} mtu 1450 up type vxlan id 555010 remote 198.51.100.2 dstport 4789`;
    const procPath = await scratch.sleeperPath(p);
    const mounted = await scratch.bindMountPath(p);
    // By name (ip -n), by /proc/PID/ns/net and by a bind mount (both through nsenter).
    for (const netns of [p.path, procPath, mounted]) {
      await ipBatch([create], { netns: w.path });
      const link = await getLink('vxlan1', { netns: p.path });
      assert.equal(link?.up, true);
      assert.equal(typeof link?.linkNetnsId, 'number', 'created from W: its socket stays there');
      await deleteLink('vxlan1', { netns });
      assert.equal(await getLink('vxlan1', { netns: p.path }), undefined, netns);
    }
    // Back to back: a delete, then the same name and VNI.
    await ipBatch([create], { netns: w.path });
    await deleteLink('vxlan1', { netns: p.path });
    await ipBatch([create], { netns: w.path });
    assert.equal((await getLink('vxlan1', { netns: p.path }))?.vxlan?.id, 555010);
    await deleteLink('vxlan1', { netns: p.path });

    // By link group: the kernel deletes every link in that group (so not this one from group 8), and
    // says No such device when the group is empty.
    await ipBatch([create.replace(' mtu ', ' group 7 mtu ')], { netns: w.path });
    await assert.rejects(deleteLink('vxlan1', { netns: p.path, group: 8 }), /No such device/);
    assert.ok((await getLink('vxlan1', { netns: p.path })) !== undefined);
    await deleteLink('vxlan1', { netns: p.path, group: 7 });
    assert.equal(await getLink('vxlan1', { netns: p.path }), undefined);
  });

  /** A runner that runs the real command and notes when it has ended (exited and been reaped). */
  function recording(): { run: CommandRunner; ended: () => boolean; done: () => Promise<unknown> } {
    let finished = false;
    let last: Promise<unknown> = Promise.resolve();
    const run: CommandRunner = (file, args, options) => {
      const result = runCommand(file, args, options);
      last = result.then(
        () => (finished = true),
        () => (finished = true),
      );
      return result;
    };
    return { run, ended: () => finished, done: () => last };
  }

  /** W holds the underlay and the VXLAN sockets; the returned line creates vxlan1 in P from W. */
  async function vxlanPair(): Promise<{
    w: { name: string; path: string };
    p: { name: string; path: string };
    create: () => Promise<void>;
  }> {
    const w = await scratch.netns();
    const p = await scratch.netns();
    await ipBatch(
      ['link add uw type veth peer name uv', 'addr add 198.51.100.1/24 dev uw', 'link set uw up'],
      {
        netns: w.path,
      },
    );
    const line = `link add vxlan1 netns ${p.name} mtu 1450 up type vxlan id 555011 remote 198.51.100.2 dstport 4789`;
    return { w, p, create: () => ipBatch([line], { netns: w.path }).then(() => {}) };
  }

  test('it resolves once the link is gone, before the ip process has exited', async () => {
    requireRoot();
    const { p, create } = await vxlanPair();
    await create();
    const recorder = recording();
    await deleteLink('vxlan1', { netns: p.path, run: recorder.run });
    const endedAtResolve = recorder.ended();
    assert.equal(await getLink('vxlan1', { netns: p.path }), undefined, 'gone when it resolves');
    await recorder.done();
    assert.equal(endedAtResolve, false, 'resolved while ip was still waiting in the kernel');
    assert.equal(recorder.ended(), true);
  });

  test('a failing delete rejects, also with a runner that passes onSpawn on', async () => {
    requireRoot();
    const { p } = await vxlanPair();
    const recorder = recording();
    await assert.rejects(deleteLink('vxlan1', { netns: p.path, run: recorder.run }), (error: unknown) => {
      assert.ok(error instanceof NetopsCommandError);
      assert.match(error.stderr, /Cannot find device "vxlan1"|No such device/);
      return true;
    });
    assert.equal(recorder.ended(), true, "the failure is ip's own, after its exit");
    await assert.rejects(
      deleteLink('vxlan1', { netns: p.path, group: 12345, run: recorder.run }),
      /No such device/,
    );
  });

  test('the watched PID changing namespace (as a reused PID would) cannot fake a success', async () => {
    requireRoot();
    // Stands in for "ip failed and its PID now belongs to a process elsewhere": the watched process
    // sits in P (where vxlan1 is) long enough to be seen there, then the same PID moves to Q (no
    // vxlan1) and exits 1 without deleting anything. Reading /proc/PID/net/dev afresh would show
    // vxlan1 gone from "ip's view" and report success; the file opened while in P still shows it.
    const { p, create } = await vxlanPair();
    const q = await scratch.netns();
    await create();
    const run: CommandRunner = (_file, _args, options) =>
      runCommand(
        'ip',
        [
          'netns',
          'exec',
          p.name,
          'sh',
          '-c',
          `sleep 0.3; exec ip netns exec ${q.name} sh -c 'sleep 0.3; exit 1'`,
        ],
        options,
      );
    await assert.rejects(deleteLink('vxlan1', { netns: p.path, run }), (error: unknown) => {
      assert.ok(error instanceof NetopsCommandError);
      assert.deepEqual(error.failure, { kind: 'exit', code: 1 });
      return true;
    });
    assert.equal((await getLink('vxlan1', { netns: p.path }))?.kind, 'vxlan', 'nothing was deleted');
  });

  test('a link that is not there: ip says so', async () => {
    requireRoot();
    const a = await scratch.netns();
    await assert.rejects(deleteLink('nosuch0', { netns: a.path }), (error: unknown) => {
      assert.ok(error instanceof NetopsCommandError);
      assert.match(error.message, new RegExp(`^ip -n ${a.name} link del dev nosuch0: exit \\d+: .*nosuch0`));
      return true;
    });
  });

  test('with a custom runner (no pid to watch) it waits for the command', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (file, args, options) => {
      calls.push([file, ...args, options?.input ?? '']);
      return { stdout: '', stderr: '' };
    };
    await deleteLink('vxlan1', { run });
    assert.deepEqual(calls, [['ip', '-batch', '-', 'link del dev vxlan1\n']]);
  });

  test('hasDevice reads /proc/net/dev', () => {
    const text = [
      'Inter-|   Receive                            |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes ...',
      '    lo:       0       0    0    0    0     0          0         0        0 ...',
      'vxlan1:    1234       5    0    0    0     0          0         0        0 ...',
    ].join('\n');
    assert.equal(hasDevice(text, 'vxlan1'), true);
    assert.equal(hasDevice(text, 'lo'), true);
    assert.equal(hasDevice(text, 'vxlan'), false);
    assert.equal(hasDevice(text, 'face |bytes'), false);
  });
});
