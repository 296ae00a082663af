import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  type CommandRunner,
  deleteLink,
  getLink,
  hasDevice,
  ipBatch,
  NetopsCommandError,
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

    // By link group: the kernel deletes it only if it is in that group.
    await ipBatch([create.replace(' mtu ', ' group 7 mtu ')], { netns: w.path });
    await assert.rejects(deleteLink('vxlan1', { netns: p.path, group: 8 }), /No such device/);
    assert.ok((await getLink('vxlan1', { netns: p.path })) !== undefined);
    await deleteLink('vxlan1', { netns: p.path, group: 7 });
    assert.equal(await getLink('vxlan1', { netns: p.path }), undefined);
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
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return { stdout: '', stderr: '' };
    };
    await deleteLink('vxlan1', { run });
    assert.deepEqual(calls, [['ip', 'link', 'del', 'dev', 'vxlan1']]);
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
