// The command line's surface: help, bad input, and the message when the daemon is not running.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { buildCli } from '@peerpods/shim-client';
import { tempDir } from '@peerpods/test-support';

function captured(): { program: ReturnType<typeof buildCli>; err: () => string } {
  let err = '';
  const program = buildCli({
    io: {
      stdout: () => {},
      stderr: (chunk) => {
        err += chunk;
      },
    },
    networkOps: {
      create: () => Promise.reject(new Error('the pod network must not be touched')),
      delete: () => Promise.resolve(),
    },
  });
  return { program, err: () => err };
}

test('--help says it stands in for the kata shim and lists every command', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^Usage: shim-client /);
  assert.match(run.stdout, /exactly as the kata shim does/);
  for (const command of ['create', 'exec', 'stop', 'run'])
    assert.match(run.stdout, new RegExp(`\\n  ${command} `));
  for (const option of ['--socket', '--worker-netns', '--bridge', '--subnet', '--state-dir']) {
    assert.ok(run.stdout.includes(option), option);
  }
});

test('--help of each command explains it', async () => {
  const create = await runCaptured(buildCli(), ['create', '--help']);
  assert.match(create.stdout.replace(/\s+/g, ' '), /CreateVM, StartVM, Health\.Check and CreateSandbox/);
  assert.match(create.stdout, /--annotation <key=value>/);
  const run = await runCaptured(buildCli(), ['run', '--help']);
  assert.match(run.stdout, /then stop \(always/);
});

test('--version prints the name and version', async () => {
  const run = await runCaptured(buildCli(), ['--version']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^shim-client version \d+\.\d+\.\d+\n/);
});

test('a bad annotation is refused, naming it, before anything is made', async () => {
  const { program } = captured();
  const run = await runCaptured(program, ['create', '--annotation', 'no-equals-sign']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /--annotation <key=value>' argument 'no-equals-sign' is invalid/);
  assert.match(run.stderr, /key=value/);
});

test('a bad --id is refused', async () => {
  const { program } = captured();
  const run = await runCaptured(program, ['create', '--id', 'xyz']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /64 lower-case hex/);
});

test('exec and run without "--" say so', async () => {
  for (const argv of [
    ['exec', '--id', 'a'.repeat(64), 'ls'],
    ['run', 'ls'],
  ]) {
    const { program } = captured();
    const run = await runCaptured(program, argv);
    assert.notEqual(run.exitCode, 0);
    assert.match(run.stderr, /needs "--" before the command/);
  }
  const { program } = captured();
  const run = await runCaptured(program, ['run', '--']);
  assert.match(run.stderr, /no command after "--"/);
});

test('an unknown sandbox id names the id and the state directory', async () => {
  const stateDir = tempDir('shim-client-cli-');
  const id = 'f'.repeat(64);
  for (const argv of [
    ['exec', '--id', id, '--', 'true'],
    ['stop', '--id', id],
  ]) {
    const { program, err } = captured();
    const run = await runCaptured(program, ['--state-dir', stateDir, ...argv]);
    assert.equal(run.exitCode, 1);
    assert.match(err(), new RegExp(`unknown sandbox id ${id}: no ${join(stateDir, id)}\\.json`));
  }
});

test('no daemon at --socket: says cloud-api-adaptor is not running there, makes nothing', async () => {
  const socket = join(tempDir('shim-client-cli-'), 'hypervisor.sock');
  for (const argv of [['create'], ['run', '--', 'true']]) {
    const { program, err } = captured();
    const run = await runCaptured(program, ['--socket', socket, ...argv]);
    assert.equal(run.exitCode, 1);
    assert.match(err(), new RegExp(`cloud-api-adaptor is not running at ${socket} \\(ENOENT\\)`));
  }
});
