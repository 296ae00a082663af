// The README's "A peer pod by hand" block, run as written (with names of its own), so the recipe an
// operator copies keeps working. Needs root, and dist/bin built.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';

const repo = resolve(import.meta.dirname, '../../..');

function recipe(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### A peer pod by hand'));
  const block = /```sh\n([\s\S]*?)\n```/.exec(section);
  assert.ok(block, 'the README has a sh block under "A peer pod by hand"');
  return block[1]!;
}

test('the README recipe: daemon in a namespace, shim-client run, clean stop, nothing left', {
  timeout: 120_000,
}, () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root: the recipe makes network namespaces');
  const name = `byhand-${process.pid}`;
  // Short: a pod's agent socket under -pods-dir must fit a unix socket path (108 bytes).
  const dir = `/tmp/bh-${process.pid}`;
  // Unique names, so it runs beside anything else; the commands are the README's.
  const script = recipe()
    .replaceAll('/tmp/byhand', '\0dir')
    .replaceAll('byhand', name)
    .replaceAll('\0dir', dir);
  const file = join(tempDir(), 'recipe.sh');
  writeFileSync(file, script);
  try {
    // Output to a file: a daemon left behind by a failing step must not hold a pipe open.
    const log = join(tempDir(), 'recipe.log');
    const fd = openSync(log, 'w');
    const run = spawnSync('bash', ['-e', file], { cwd: repo, stdio: ['ignore', fd, fd], timeout: 100_000 });
    closeSync(fd);
    const output = readFileSync(log, 'utf8');
    assert.equal(run.status, 0, output);
    // The command ran in the pod VM: its pod namespace has the pod IP the shim's CNI gave it.
    assert.match(output, /eth0\S*\s+UNKNOWN\s+10\.244\.0\.\d+\/24/);
    assert.match(output, /\[adaptor\/cloud\] stopped sandbox /);
    assert.match(output, /\[adaptor\] stopped\n/);
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(namespaces, new RegExp(name));
  } finally {
    spawnSync('pkill', ['-f', dir]);
    spawnSync('ip', ['netns', 'del', name]);
    rmSync(dir, { recursive: true, force: true });
  }
});
