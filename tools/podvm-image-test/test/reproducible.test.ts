// Two builds of the same inputs, one from the shared cache and one debootstrapped afresh into a cache
// of its own, give the same image apart from timestamps. Needs root; about two minutes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { requireRoot, tempDir } from '@peerpods/test-support';
import { extractRootFilesystem, manifestDifferences, ROOT_PARTITION_OFFSET, treeManifest } from '../src';

const builder = resolve(import.meta.dirname, '../../../dist/bin/podvm-image-builder');
const EPOCH = 1780000000;

function build(output: string, cache: string): string {
  return execFileSync(
    builder,
    ['build', '--provider', 'libvirt', '--format', 'raw', '--output', output, '--cache', cache],
    { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } },
  );
}

function bootArea(image: string): Buffer {
  const area = Buffer.alloc(ROOT_PARTITION_OFFSET);
  const fd = openSync(image, 'r');
  readSync(fd, area, 0, area.length, 0);
  return area;
}

function superblock(image: string): string {
  return execFileSync('dumpe2fs', ['-h', `${image}?offset=${ROOT_PARTITION_OFFSET}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, TZ: 'UTC' },
  });
}

test('the same inputs give the same image apart from timestamps, even from a fresh debootstrap', {
  timeout: 900_000,
}, async () => {
  requireRoot();
  const dir = tempDir('podvm-repro-');
  const shared = join(dir, 'shared.raw');
  const fresh = join(dir, 'fresh.raw');
  build(shared, '/var/cache/podvm-image-builder');
  const freshOutput = build(fresh, join(dir, 'cache'));
  assert.match(freshOutput, /debootstrapped into the cache/, 'the second build made its own root filesystem');

  const uuid = (text: string) => /^Filesystem UUID:\s+(\S+)$/m.exec(text)?.[1];
  const [left, right] = [superblock(shared), superblock(fresh)];
  assert.ok(uuid(left), left);
  assert.equal(uuid(right), uuid(left), 'the filesystem id comes from the inputs');
  // mke2fs took SOURCE_DATE_EPOCH as the time it ran.
  const created = /^Filesystem created:\s+(.+)$/m.exec(left)?.[1];
  assert.equal(new Date(`${created} UTC`).getTime() / 1000, EPOCH, left);
  assert.ok(
    bootArea(shared).equals(bootArea(fresh)),
    'the MBR and GRUB core image are byte for byte the same',
  );

  await extractRootFilesystem(shared, join(dir, 'shared'));
  await extractRootFilesystem(fresh, join(dir, 'fresh'));
  const [a, b] = [await treeManifest(join(dir, 'shared')), await treeManifest(join(dir, 'fresh'))];
  assert.ok(
    a.has('usr/local/bin/agent-protocol-forwarder') && a.has('boot/grub/grub.cfg'),
    'the whole tree was read',
  );
  assert.ok(a.size > 5000, `${a.size} files`);
  assert.deepEqual(
    manifestDifferences(a, b),
    [],
    'every file, link and directory is the same but for its times',
  );
});
