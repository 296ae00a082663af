import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const binDir = resolve(import.meta.dirname, '../../../dist/bin');
// The six product binaries, and the tools the local demo and end-to-end tests run (a kata-agent
// stand-in, a kata-shim stand-in, and the fake clouds).
const expected = [
  'agent-protocol-forwarder',
  'cloud-api-adaptor',
  'dev-agent',
  'fake-arm',
  'fake-ec2',
  'fake-ibm-vpc',
  'peerpod-tunnel',
  'peerpods-webhook',
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

test('dist/bin holds exactly the expected binaries', async () => {
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

/** Runs a binary to its end; never rejects (the exit status is the point). */
function outcome(name: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    execFile(join(binDir, name), args, { cwd: emptyDir }, (error, _stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
    });
  });
}

// Go's flag package exits 2 on every parse error; so do ours, with one line naming the flag.
const usageErrors: Array<[string, string[], RegExp]> = [
  ['cloud-api-adaptor', ['local', '-vxlan-port=abc'], /-vxlan-port: expected an integer/],
  ['cloud-api-adaptor', ['local', '-proxy-timeout=soon'], /-proxy-timeout: time: invalid duration "soon"/],
  ['cloud-api-adaptor', ['local', '-disable-tls=maybe'], /-disable-tls/],
  ['cloud-api-adaptor', ['local', '-no-such-flag'], /unknown option '-no-such-flag'/],
  ['agent-protocol-forwarder', ['-listen'], /option '--listen <host:port>' argument missing/],
  ['process-user-data', ['provision-files', '-t', 'abc'], /expected a whole number of seconds/],
  ['peerpods-webhook', ['-port', 'x'], /invalid value "x" for --port: must be a port number/],
  [
    'peerpod-tunnel',
    ['worker', 'up', '--vxlan-port', 'x'],
    /--vxlan-port must be an integer from 1 to 65535/,
  ],
];
for (const [name, args, message] of usageErrors) {
  test(`${name} ${args.join(' ')}: exit 2 and one line`, async () => {
    const { code, stderr } = await outcome(name, args);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
    assert.match(stderr, new RegExp(`^${name}: [^\\n]+\\n$`), 'exactly one line, named');
  });
}

for (const name of expected) {
  test(`${name} --help into a reader that has gone (| head): quiet, no stack trace`, async () => {
    const child = spawn(join(binDir, name), ['--help'], { cwd: emptyDir, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first write: that write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(stderr, '');
    assert.ok(code === 141 || code === 0, `exit ${code}`);
  });
}
