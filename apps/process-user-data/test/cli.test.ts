import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { buildCli } from '../src/cli';

test('--version prints the name and version first, then the commit', async () => {
  const run = await runCaptured(buildCli(), ['--version']);
  assert.equal(run.exitCode, 0);
  const [first, second] = run.stdout.split('\n');
  assert.match(first!, /^process-user-data version \d+\.\d+\.\d+$/);
  assert.match(second!, /^ {2}commit: /);
});

test('--help explains the program and exits 0', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^Usage: process-user-data /);
});

test('an unknown option fails with a message that names it', async () => {
  const run = await runCaptured(buildCli(), ['--no-such-option']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /unknown option '--no-such-option'/);
});

test('provision-files takes -t as upstream does, defaulting to 180 seconds', async () => {
  const run = await runCaptured(buildCli(), ['provision-files', '--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /-t, --user-data-fetch-timeout <seconds>/);
  assert.match(run.stdout, /default:\s+"180"/);
});

test('a metadata URL that is not http(s) is a usage error: exit 2, one line naming the flag', async () => {
  const run = await runCaptured(buildCli({ env: {} }), [
    'provision-files',
    '-aws-imds-url',
    'ftp://169.254.169.254',
  ]);
  assert.equal(run.exitCode, 2);
  assert.equal(
    run.stderr,
    'process-user-data: -aws-imds-url: "ftp://169.254.169.254" is not an http(s) URL\n',
  );
});

test('a retry interval of zero is a usage error: exit 2', async () => {
  const run = await runCaptured(buildCli({ env: {} }), ['provision-files', '-retry-interval', '0s']);
  assert.equal(run.exitCode, 2);
  assert.match(run.stderr, /^process-user-data: -retry-interval: must be positive/);
});
