// The NOTRACK rules' one-restore paths fall back to reading the table when the kernel disagrees.
import assert from 'node:assert/strict';
import { after, afterEach, test } from 'node:test';
import { detectIptables } from '@peerpods/netops';
import { addNotrackRules, removeNotrackRules } from '../src/index';
import { inNetns, leftoverNamespaces, Scratch } from './support/topology';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
after(async () => assert.deepEqual(await leftoverNamespaces(), []));

test('NOTRACK rules: a chain someone else uses, and a rule deleted behind our back', async () => {
  const ns = await scratch.netns();
  const host = { netns: ns.path };
  const ipt = await detectIptables();
  const peerpodLines = async () =>
    (await inNetns(ns.name, ipt.binary.path, ['-w', '-t', 'raw', '-S']))
      .split('\n')
      .filter((line) => line.includes('peerpod'));
  const ours = (vni: number) => [
    `-A peerpod-OUTPUT -d 198.51.100.2/32 -p udp -m comment --comment "peerpod [vni:${vni}]" -m udp --dport 4789 -j NOTRACK`,
    `-A peerpod-PREROUTING -s 198.51.100.2/32 -p udp -m comment --comment "peerpod [vni:${vni}]" -m udp --dport 4789 -j NOTRACK`,
  ];
  const foreign = '-A peerpod-OUTPUT -d 203.0.113.99/32 -j ACCEPT';

  // Someone else's rule in our chain: creating everything in one restore fails, the read path adds ours.
  await inNetns(ns.name, ipt.binary.path, ['-w', '-t', 'raw', '-N', 'peerpod-OUTPUT']);
  await inNetns(ns.name, ipt.binary.path, ['-w', '-t', 'raw', ...foreign.split(' ')]);
  const tunnel = { remote: '198.51.100.2', vni: 555000, port: 4789 };
  assert.equal(await addNotrackRules(ipt, tunnel, host), true);
  assert.equal(await addNotrackRules(ipt, tunnel, host), false, 'already there');
  assert.deepEqual(
    (await peerpodLines()).sort(),
    [
      '-A OUTPUT -j peerpod-OUTPUT',
      '-A PREROUTING -j peerpod-PREROUTING',
      ...ours(555000),
      foreign,
      '-N peerpod-OUTPUT',
      '-N peerpod-PREROUTING',
    ].sort(),
  );
  // Removing ours keeps that rule, its chain and the jump to it.
  await removeNotrackRules(ipt, 555000, host);
  assert.deepEqual(
    (await peerpodLines()).sort(),
    ['-A OUTPUT -j peerpod-OUTPUT', foreign, '-N peerpod-OUTPUT'].sort(),
  );
  await inNetns(ns.name, ipt.binary.path, ['-w', '-t', 'raw', '-D', ...foreign.split(' ').slice(1)]);

  // One of our rules deleted behind our back: the one-restore delete fails, the read path removes the rest.
  assert.equal(await addNotrackRules(ipt, { ...tunnel, vni: 555001 }, host), true);
  const prerouting = [
    '-s',
    '198.51.100.2/32',
    '-p',
    'udp',
    '-m',
    'comment',
    '--comment',
    'peerpod [vni:555001]',
  ];
  await inNetns(ns.name, ipt.binary.path, [
    ...['-w', '-t', 'raw', '-D', 'peerpod-PREROUTING', ...prerouting],
    ...['-m', 'udp', '--dport', '4789', '-j', 'NOTRACK'],
  ]);
  await removeNotrackRules(ipt, 555001, host);
  assert.deepEqual(await peerpodLines(), []);

  // Nothing of ours there at all: the one-restore create, then the one-restore delete.
  assert.equal(await addNotrackRules(ipt, { ...tunnel, vni: 555002 }, host), true);
  assert.equal((await peerpodLines()).length, 6);
  await removeNotrackRules(ipt, 555002, host);
  assert.deepEqual(await peerpodLines(), []);
});
