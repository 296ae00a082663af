import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const binDir = resolve(import.meta.dirname, '../../../dist/bin');
// The five product binaries, and the two tools the local demo and end-to-end tests run.
const expected = [
  'agent-protocol-forwarder',
  'cloud-api-adaptor',
  'dev-agent',
  'peerpod-tunnel',
  'podvm-image-builder',
  'process-user-data',
  'shim-client',
];

let emptyDir = '';
before(async () => {
  emptyDir = await mkdtemp(join(tmpdir(), 'peerpods-smoke-'));
});
after(async () => {
  await rm(emptyDir, { recursive: true, force: true });
});

test('dist/bin holds exactly the seven binaries', async () => {
  const found = (await readdir(binDir)).filter((name) => !name.startsWith('.')).sort();
  assert.deepEqual(found, expected);
});

for (const name of expected) {
  test(`${name} starts from an empty directory, prints its version and exits 0`, async () => {
    // A minimal environment: no NODE_PATH, no NODE_OPTIONS, nothing that could lend it modules.
    const { stdout, stderr } = await run(join(binDir, name), ['--version'], {
      cwd: emptyDir,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    assert.match(stdout, new RegExp(`^${name} version \\d+\\.\\d+\\.\\d+\\n {2}commit: [0-9a-f]{7,}`));
    assert.equal(stderr, '');
  });
}
