import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import {
  isOwnedBy,
  nodeNameFrom,
  OWNER_TAG_CLUSTER,
  OWNER_TAG_NODE,
  OWNER_TAG_SANDBOX,
  ownershipTags,
  parseTags,
} from '../src/index';

test('TAGS: key=value pairs, blanks skipped, whitespace trimmed, = allowed in values', () => {
  assert.deepEqual(parseTags(' team=infra , ,cost=42,expr=a=b,empty='), {
    team: 'infra',
    cost: '42',
    expr: 'a=b',
    empty: '',
  });
  assert.deepEqual(parseTags(''), {});
});

test('TAGS: an entry without a key, a repeated key or an ownership key is refused, naming it', () => {
  assert.throws(() => parseTags('team'), /invalid -tags entry "team": expected key=value/);
  assert.throws(() => parseTags('=x'), /invalid -tags entry "=x": expected key=value/);
  assert.throws(() => parseTags('a=1,a=2'), /invalid -tags: the key a is given twice/);
  assert.throws(
    () => parseTags(`${OWNER_TAG_NODE}=other`),
    /the key peerpods-node is set by peer pods itself/,
  );
});

test('ownership tags name the sandbox and node, and the cluster only when one is set', () => {
  assert.deepEqual(ownershipTags({ nodeName: 'w1', clusterId: '' }, 'ab'.repeat(32)), {
    [OWNER_TAG_SANDBOX]: 'ab'.repeat(32),
    [OWNER_TAG_NODE]: 'w1',
  });
  const tags = ownershipTags({ nodeName: 'w1', clusterId: 'prod' }, 'cd');
  assert.equal(tags[OWNER_TAG_CLUSTER], 'prod');
  assert.equal(isOwnedBy(tags, { nodeName: 'w1', clusterId: 'prod' }), true);
  assert.equal(isOwnedBy(tags, { nodeName: 'w1', clusterId: 'dev' }), false, 'another cluster');
  assert.equal(isOwnedBy(tags, { nodeName: 'w2', clusterId: 'prod' }), false, 'another node');
  assert.equal(isOwnedBy(tags, { nodeName: 'w1', clusterId: '' }), true, 'no cluster set: the node decides');
});

test('the node name is NODE_NAME, else the host name', () => {
  assert.equal(nodeNameFrom({ NODE_NAME: 'worker-3' }), 'worker-3');
  assert.equal(nodeNameFrom({ NODE_NAME: ' ' }), hostname());
  assert.equal(nodeNameFrom({}), hostname());
});
