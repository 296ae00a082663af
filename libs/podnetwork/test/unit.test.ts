// Pure pieces, no kernel needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTableListing } from '@peerpods/netops';
import { notrackComment, VniAllocator } from '../src/index';
import { notrackAddLines, notrackCreateLines, notrackDeleteLines, notrackRemoveLines } from '../src/notrack';
import { subnetOf, withoutPrefix } from '../src/primary-interface';

test('VniAllocator: lowest free index, skips VNIs in use, reuses released ones', () => {
  const allocator = new VniAllocator(555000);
  assert.equal(allocator.allocate(), 0);
  assert.equal(allocator.allocate([555001, 555002]), 3);
  assert.equal(allocator.allocate(), 1);
  allocator.release(0);
  assert.equal(allocator.allocate(), 0);
  assert.equal(allocator.size, 3);
});

test('address helpers and the rule comment', () => {
  assert.equal(subnetOf('10.244.7.5/24'), '10.244.7.0/24');
  assert.equal(subnetOf('10.244.7.5/32'), '10.244.7.5/32');
  assert.equal(subnetOf('172.16.200.9/12'), '172.16.0.0/12');
  assert.equal(withoutPrefix('198.51.100.1/24'), '198.51.100.1');
  assert.equal(notrackComment(555000), 'peerpod [vni:555000]');
});

test('NOTRACK restore lines: only what is missing on setup; ours, then empty chains, on teardown', () => {
  const tunnel = { remote: '198.51.100.2', vni: 555000, port: 4789 };
  const rule = (chain: string, dir: string, vni: number) =>
    `-A ${chain} ${dir} 198.51.100.2/32 -p udp -m comment --comment "peerpod [vni:${vni}]" -m udp --dport 4789 -j NOTRACK`;
  const empty = parseTableListing('-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n');
  assert.deepEqual(notrackAddLines(empty, tunnel), [
    ':peerpod-PREROUTING - [0:0]',
    ':peerpod-OUTPUT - [0:0]',
    '-A OUTPUT -j peerpod-OUTPUT',
    rule('peerpod-OUTPUT', '-d', 555000),
    '-A PREROUTING -j peerpod-PREROUTING',
    rule('peerpod-PREROUTING', '-s', 555000),
  ]);
  const built = parseTableListing(
    [
      '-P PREROUTING ACCEPT',
      '-P OUTPUT ACCEPT',
      '-N peerpod-OUTPUT',
      '-N peerpod-PREROUTING',
      '-A PREROUTING -j peerpod-PREROUTING',
      '-A OUTPUT -j peerpod-OUTPUT',
      rule('peerpod-OUTPUT', '-d', 555000),
      rule('peerpod-OUTPUT', '-d', 555001),
      rule('peerpod-PREROUTING', '-s', 555000),
    ].join('\n'),
  );
  // Everything there but the PREROUTING rule of 555001.
  assert.deepEqual(notrackAddLines(built, { ...tunnel, vni: 555001 }), [
    rule('peerpod-PREROUTING', '-s', 555001),
  ]);
  assert.deepEqual(notrackAddLines(built, tunnel), []);
  // 555000 goes; PREROUTING's chain is then empty, OUTPUT's still has 555001.
  assert.deepEqual(notrackRemoveLines(built, 555000), [
    rule('peerpod-OUTPUT', '-d', 555000).replace('-A', '-D'),
    rule('peerpod-PREROUTING', '-s', 555000).replace('-A', '-D'),
    '-D PREROUTING -j peerpod-PREROUTING',
    '-X peerpod-PREROUTING',
  ]);
  assert.deepEqual(notrackRemoveLines(empty, 555000), []);
  assert.deepEqual(notrackRemoveLines(built, 555009), []);
});

test('NOTRACK lines without a table read: create all, delete ours (and, last, the chains)', () => {
  const tunnel = { remote: '198.51.100.2', vni: 555000, port: 4789 };
  const spec = (dir: string) =>
    `${dir} 198.51.100.2/32 -p udp -m comment --comment "peerpod [vni:555000]" -m udp --dport 4789 -j NOTRACK`;
  assert.deepEqual(notrackCreateLines(tunnel), [
    '-N peerpod-OUTPUT',
    '-N peerpod-PREROUTING',
    '-A OUTPUT -j peerpod-OUTPUT',
    '-A PREROUTING -j peerpod-PREROUTING',
    `-A peerpod-OUTPUT ${spec('-d')}`,
    `-A peerpod-PREROUTING ${spec('-s')}`,
  ]);
  const ours = [`-D peerpod-OUTPUT ${spec('-d')}`, `-D peerpod-PREROUTING ${spec('-s')}`];
  assert.deepEqual(notrackDeleteLines(tunnel, false), ours);
  assert.deepEqual(notrackDeleteLines(tunnel, true), [
    ...ours,
    '-D OUTPUT -j peerpod-OUTPUT',
    '-D PREROUTING -j peerpod-PREROUTING',
    '-X peerpod-OUTPUT',
    '-X peerpod-PREROUTING',
  ]);
});
