import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceCreationError } from '../src/instance';

test('InstanceCreationError carries the partial instance so the daemon can delete it', () => {
  const cause = new Error('NIC attach failed');
  const error = new InstanceCreationError('attaching the second NIC', { instance: { id: 'i-0abc' }, cause });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'InstanceCreationError');
  assert.equal(error.message, 'attaching the second NIC');
  assert.deepEqual(error.instance, { id: 'i-0abc' });
  assert.equal(error.cause, cause);
});

test('without an instance, nothing is left to delete', () => {
  const error = new InstanceCreationError('quota exceeded');
  assert.equal(error.instance, undefined);
  assert.equal(error.cause, undefined);
});
