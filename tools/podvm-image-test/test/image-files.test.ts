import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { manifestDifferences, treeManifest } from '../src';

function tree(dir: string, content: string, time: number): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'etc/hostname'), content);
  symlinkSync('/run/peerpod/policy.rego', join(dir, 'etc/policy.rego'));
  utimesSync(join(dir, 'etc/hostname'), time, time);
  utimesSync(join(dir, 'etc'), time, time);
}

test('trees that differ only in their times have the same manifest', async () => {
  const dir = tempDir();
  tree(join(dir, 'a'), 'podvm\n', 1_000_000);
  tree(join(dir, 'b'), 'podvm\n', 2_000_000);
  const a = await treeManifest(join(dir, 'a'));
  assert.deepEqual([...a.keys()], ['etc', 'etc/hostname', 'etc/policy.rego']);
  assert.match(a.get('etc/policy.rego') ?? '', /^link .* -> \/run\/peerpod\/policy\.rego$/);
  assert.deepEqual(manifestDifferences(a, await treeManifest(join(dir, 'b'))), []);
});

test('a changed, missing or extra file is named', async () => {
  const dir = tempDir();
  tree(join(dir, 'a'), 'podvm\n', 1_000_000);
  tree(join(dir, 'b'), 'other\n', 1_000_000);
  writeFileSync(join(dir, 'b/etc/extra'), '');
  const differences = manifestDifferences(
    await treeManifest(join(dir, 'a')),
    await treeManifest(join(dir, 'b')),
  );
  assert.equal(differences.length, 2, differences.join('\n'));
  assert.match(differences[0]!, /^etc\/extra: \(absent\) \| file /);
  assert.match(
    differences[1]!,
    /^etc\/hostname: file 644 \d+:\d+ 6 [0-9a-f]{64} \| file 644 \d+:\d+ 6 [0-9a-f]{64}$/,
  );
});
