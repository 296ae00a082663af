import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  broadcastOf,
  formatIpv4,
  hostAddress,
  hostCount,
  overlaps,
  parseIpv4,
  parseIpv4Subnet,
  subnetContaining,
} from '../src/ipv4';

test('a subnet parses; typos and host bits are refused with the reason', () => {
  assert.deepEqual(parseIpv4Subnet('10.199.0.0/24'), {
    network: (10 << 24) + (199 << 16),
    prefixLength: 24,
    cidr: '10.199.0.0/24',
  });
  assert.throws(() => parseIpv4Subnet('10.199.0.0'), /invalid IPv4 subnet "10.199.0.0": expected a.b.c.d\/n/);
  assert.throws(() => parseIpv4Subnet('10.199.0.300/24'), /expected a.b.c.d\/n/);
  assert.throws(() => parseIpv4Subnet('10.199.0.0/33'), /expected a.b.c.d\/n/);
  assert.throws(
    () => parseIpv4Subnet('10.199.0.1/24'),
    /host bits are set \(did you mean 10.199.0.0\/24\?\)/,
  );
});

test('host addresses skip the network and broadcast addresses', () => {
  const subnet = parseIpv4Subnet('10.199.0.0/24');
  assert.equal(hostCount(subnet), 254);
  assert.equal(hostAddress(subnet, 1), '10.199.0.1');
  assert.equal(hostAddress(subnet, 254), '10.199.0.254');
  assert.throws(() => hostAddress(subnet, 255), /outside 10.199.0.0\/24/);
  assert.equal(hostCount(parseIpv4Subnet('10.0.0.0/30')), 2);
});

test('overlap: containment either way, and disjoint neighbours', () => {
  const local = parseIpv4Subnet('10.199.0.0/24');
  assert.equal(overlaps(local, parseIpv4Subnet('10.0.0.0/8')), true);
  assert.equal(overlaps(local, parseIpv4Subnet('10.199.0.128/25')), true);
  assert.equal(overlaps(local, parseIpv4Subnet('10.199.1.0/24')), false);
  assert.deepEqual(subnetContaining('10.1.2.3/8').cidr, '10.0.0.0/8');
  assert.deepEqual(subnetContaining('192.0.2.7/32').cidr, '192.0.2.7/32');
});

test('only the plain dotted quad is an address; numbers round-trip', () => {
  assert.equal(parseIpv4('10.244.0.1'), 0x0af40001);
  for (const text of ['10.1', '0x0a.0.0.1', '10.244.0.256', '10.244.0.1 ', ''])
    assert.equal(parseIpv4(text), undefined, text);
  assert.equal(formatIpv4(0x0af40001), '10.244.0.1');
  assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
  assert.equal(broadcastOf(parseIpv4Subnet('10.244.0.0/24')), 0x0af400ff);
});
