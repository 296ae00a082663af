import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { publishTree } from '../src/rootfs-cache';

function tree(dir: string, marker: string): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/marker'), marker);
  writeFileSync(join(dir, '.complete'), '{}\n');
}

test('a finished tree is moved into place', async () => {
  const dir = tempDir();
  tree(join(dir, 'partial'), 'ours');
  assert.equal(await publishTree(join(dir, 'partial'), join(dir, 'rootfs')), true);
  assert.equal(readFileSync(join(dir, 'rootfs/etc/marker'), 'utf8'), 'ours');
  assert.equal(existsSync(join(dir, 'partial')), false);
});

test('when another build published the same tree first, its tree stays and ours goes', async () => {
  const dir = tempDir();
  tree(join(dir, 'rootfs'), 'theirs');
  tree(join(dir, 'partial'), 'ours');
  assert.equal(await publishTree(join(dir, 'partial'), join(dir, 'rootfs')), false);
  assert.equal(readFileSync(join(dir, 'rootfs/etc/marker'), 'utf8'), 'theirs');
  assert.equal(existsSync(join(dir, 'partial')), false);
});

test('an incomplete tree in the way is an error, not silently kept', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'rootfs/etc'), { recursive: true });
  writeFileSync(join(dir, 'rootfs/etc/marker'), 'half');
  tree(join(dir, 'partial'), 'ours');
  await assert.rejects(publishTree(join(dir, 'partial'), join(dir, 'rootfs')), /ENOTEMPTY|EEXIST/);
});
