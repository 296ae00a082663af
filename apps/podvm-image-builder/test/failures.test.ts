// A failed build names its phase and the command that failed, and leaves no work directory, partial
// tree, mount or output behind. Needs root (the build refuses to run otherwise).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { freePort, requireRoot, tempDir } from '@peerpods/test-support';
import { buildCli } from '../src/cli';
import { mountsUnder, unmountAllUnder } from '../src/mounts';

const binDir = resolve(import.meta.dirname, '../../../dist/bin');

/** The message a failed libvirt build ends with (the binary prints it after its name, and exits 1). */
async function failure(options: {
  output: string;
  cache: string;
  binDir: string;
  mirror?: string;
}): Promise<string> {
  const argv = ['build', '--provider', 'libvirt', '--output', options.output, '--cache', options.cache];
  argv.push('--bin-dir', options.binDir, ...(options.mirror ? ['--mirror', options.mirror] : []));
  try {
    const run = await runCaptured(buildCli(), argv);
    throw new Error(`the build did not fail: exit ${run.exitCode}\n${run.stderr}`);
  } catch (error) {
    return (error as Error).message;
  }
}

test('a debootstrap that cannot reach its mirror fails in phase "rootfs", naming the command, and leaves nothing', async () => {
  requireRoot();
  const dir = tempDir('podvm-fail-');
  const cache = join(dir, 'cache');
  const output = join(dir, 'podvm.qcow2');
  // Nothing listens there: debootstrap's first download is refused, on loopback.
  const mirror = `http://127.0.0.1:${await freePort()}/debian`;
  const message = await failure({ output, cache, mirror, binDir });
  assert.match(
    message,
    new RegExp(
      `build failed in phase "rootfs": command \`debootstrap --variant=minbase --include=\\S+ bookworm \\S+ ${mirror.replaceAll('.', '\\.')}\` exited with status \\d+`,
    ),
  );
  assert.deepEqual(readdirSync(cache), [], 'no work directory and no partial tree');
  assert.deepEqual(await mountsUnder(cache), []);
  assert.equal(existsSync(output), false);
});

test('a binary that does not start inside the image fails in phase "content", naming it, and leaves nothing', {
  timeout: 600_000,
}, async () => {
  requireRoot();
  const dir = tempDir('podvm-fail-');
  // Our real binaries, but a peerpod-tunnel that cannot start.
  const bins = join(dir, 'bin');
  mkdirSync(bins);
  for (const name of ['process-user-data', 'agent-protocol-forwarder', 'dev-agent'])
    copyFileSync(join(binDir, name), join(bins, name));
  writeFileSync(join(bins, 'peerpod-tunnel'), '#!/bin/sh\necho "cannot start" >&2\nexit 3\n', {
    mode: 0o755,
  });
  const output = join(dir, 'podvm.qcow2');
  // The shared cache: warm after any earlier build here (a cold one debootstraps first).
  const cache = '/var/cache/podvm-image-builder';
  const message = await failure({ output, cache, binDir: bins });
  assert.match(
    message,
    /build failed in phase "content": command `chroot \S+\/root \/usr\/local\/bin\/peerpod-tunnel --version` exited with status 3: cannot start/,
  );
  const workDir = /`chroot (\S+)\/root /.exec(message)?.[1] ?? '';
  assert.ok(workDir.startsWith(`${cache}/work-`), message);
  assert.equal(existsSync(workDir), false, 'the work directory is gone');
  assert.deepEqual(await mountsUnder(cache), []);
  assert.equal(existsSync(output), false);
});

test('unmountAllUnder unmounts nested mounts deepest first', async () => {
  requireRoot();
  const dir = tempDir('podvm-mounts-');
  mkdirSync(join(dir, 'root'));
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(dir, 'root')]);
  mkdirSync(join(dir, 'root/proc'));
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(dir, 'root/proc')]);
  assert.deepEqual(await mountsUnder(dir), [join(dir, 'root/proc'), join(dir, 'root')]);
  assert.deepEqual(await unmountAllUnder(dir), [join(dir, 'root/proc'), join(dir, 'root')]);
  assert.deepEqual(await mountsUnder(dir), []);
});
