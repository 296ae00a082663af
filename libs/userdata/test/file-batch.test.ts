import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { FileBatch } from '../src/index';
import { listFiles, putFile, removeRoot, tempRoot } from './helpers';

let root = '';
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

test('nothing is visible at the targets until commit; then all of it, and no temporary file', async () => {
  await putFile(root, '/run/peerpod/a', 'old a');
  const batch = new FileBatch();
  await batch.stage(join(root, 'run/peerpod/a'), 'new a', 0o600);
  await batch.stage(join(root, 'run/peerpod/sub/b'), 'b', 0o644);
  assert.equal(await readFile(join(root, 'run/peerpod/a'), 'utf8'), 'old a');
  assert.deepEqual(
    (await listFiles(root)).filter((f) => !f.includes('.tmp-')),
    ['run/peerpod/a'],
  );
  const written = await batch.commit();
  assert.deepEqual(written, [join(root, 'run/peerpod/a'), join(root, 'run/peerpod/sub/b')]);
  assert.equal(await readFile(join(root, 'run/peerpod/a'), 'utf8'), 'new a');
  assert.deepEqual(await listFiles(root), ['run/peerpod/a', 'run/peerpod/sub/b']);
});

test('abort removes every temporary file and leaves the targets as they were', async () => {
  await putFile(root, '/run/peerpod/a', 'old a');
  const batch = new FileBatch();
  await batch.stage(join(root, 'run/peerpod/a'), 'new a', 0o600);
  await batch.stage(join(root, 'run/peerpod/c'), 'c', 0o600);
  await batch.abort();
  assert.deepEqual(await listFiles(root), ['run/peerpod/a']);
  assert.equal(await readFile(join(root, 'run/peerpod/a'), 'utf8'), 'old a');
});

test('a failure while staging (target directory is a file) leaves no temporary file behind after abort', async () => {
  await putFile(root, '/run/peerpod/blocker', 'I am a file');
  const batch = new FileBatch();
  await batch.stage(join(root, 'run/peerpod/ok'), 'ok', 0o644);
  await assert.rejects(batch.stage(join(root, 'run/peerpod/blocker/x'), 'x', 0o644), /ENOTDIR|EEXIST/);
  await batch.abort();
  assert.deepEqual(await listFiles(root), ['run/peerpod/blocker']);
});
