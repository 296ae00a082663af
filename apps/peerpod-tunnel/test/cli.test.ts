import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { buildCli } from '../src/cli';

test('--version prints the name and version first, then the commit', async () => {
  const run = await runCaptured(buildCli(), ['--version']);
  assert.equal(run.exitCode, 0);
  const [first, second] = run.stdout.split('\n');
  assert.match(first!, /^peerpod-tunnel version \d+\.\d+\.\d+$/);
  assert.match(second!, /^ {2}commit: /);
});

test('--help explains the program and exits 0', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^Usage: peerpod-tunnel /);
});

test('an unknown option fails with a message that names it', async () => {
  const run = await runCaptured(buildCli(), ['--no-such-option']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /unknown option '--no-such-option'/);
});

test('-log-format and -log-level are global options with LOG_FORMAT/LOG_LEVEL, shown in help', async () => {
  const run = await runCaptured(buildCli(), ['worker', 'up', '--help']);
  assert.equal(run.exitCode, 0);
  const help = run.stdout.replace(/\s+/g, ' ');
  assert.match(
    help,
    /Global Options: --log-format <format> .*\(choices: "text", "json", default: "text", env: LOG_FORMAT\)/,
  );
  assert.match(
    help,
    /--log-level <level> .*\(choices: "debug", "info", "warn", "error", default: "info", env: LOG_LEVEL\)/,
  );
});

test('a log level that does not exist is a usage error: exit 2, naming the choices', async () => {
  const run = await runCaptured(buildCli(), ['-log-level', 'verbose', 'list']);
  assert.equal(run.exitCode, 2);
  assert.match(run.stderr, /^peerpod-tunnel: option '--log-level <level>' argument 'verbose' is invalid/);
});
