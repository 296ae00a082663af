import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { makeDirectory, makeDirectorySync } from '../src/index';

for (const [name, make] of [
  ['makeDirectorySync', async (path: string, mode?: number) => makeDirectorySync(path, { mode })],
  ['makeDirectory', (path: string, mode?: number) => makeDirectory(path, { mode })],
] as const) {
  test(`${name}: creates missing parents with the mode, leaves existing ones, says which was first`, async () => {
    const dir = tempDir();
    const target = join(dir, 'a', 'b', 'c');
    assert.equal(await make(target, 0o700), join(dir, 'a'));
    assert.equal(statSync(target).isDirectory(), true);
    assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700);
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'the existing temp dir keeps its mode');
    assert.equal(await make(target), undefined, 'all there: nothing created, no error');
  });

  test(`${name}: a path under /proc fails at once instead of looping forever (Node 20's recursive mkdir)`, async () => {
    await assert.rejects(
      Promise.resolve().then(() => make('/proc/peerpods-no-such/dir')),
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.path === '/proc/peerpods-no-such',
    );
  });

  test(`${name}: a file in the way is an error naming it`, async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    await assert.rejects(
      Promise.resolve().then(() => make(join(dir, 'file', 'sub'))),
      (error: NodeJS.ErrnoException) => error.code === 'ENOTDIR' || error.code === 'EEXIST',
    );
  });
}
