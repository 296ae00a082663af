import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { createNetns, deleteNetns, listNetns, netnsExists, netnsPids } from '../src/index';
import { leftoverNamespaces, requireRoot, Scratch } from './support/scratch';

describe('named namespaces', () => {
  const scratch = new Scratch();
  afterEach(() => scratch.cleanup());

  test('create, list, delete, and delete again', async () => {
    requireRoot();
    const name = scratch.uniqueName();
    // Removed in finally, even when an assertion fails midway.
    const cleanup = () => deleteNetns(name, { ifExists: true });
    try {
      const path = await createNetns(name);
      assert.equal(path, `/run/netns/${name}`);
      assert.equal(await netnsExists(path), true);
      assert.ok((await listNetns()).includes(name));
      await assert.rejects(createNetns(name), { name: 'NetopsCommandError', message: /File exists/ });
      assert.equal(await deleteNetns(name), true);
      assert.equal(await netnsExists(path), false);
      assert.equal(await deleteNetns(name, { ifExists: true }), false);
      await assert.rejects(deleteNetns(name), { name: 'NetopsCommandError', message: /^ip netns del / });
    } finally {
      await cleanup();
    }
  });

  test('netnsPids lists the processes inside a namespace; none for a missing one', async () => {
    requireRoot();
    const ns = await scratch.netns();
    await scratch.sleeperPath(ns);
    const pids = await netnsPids(ns.name);
    assert.equal(pids.length, 1);
    assert.match(readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8'), /^sleep\0/);
    assert.deepEqual(await netnsPids(`${ns.name}-missing`), []);
  });

  test('invalid names are refused before anything runs', async () => {
    await assert.rejects(createNetns('../etc'), TypeError);
    await assert.rejects(deleteNetns(''), TypeError);
  });

  test('no namespace of this run is left behind', async () => {
    requireRoot();
    await scratch.netns();
    await scratch.cleanup();
    assert.deepEqual(await leftoverNamespaces(), []);
  });
});
