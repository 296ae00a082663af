// Pure pieces, no kernel needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notrackComment, VniAllocator } from '../src/index';
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
