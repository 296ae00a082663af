import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { buildCli } from '../src/cli';

test('--version prints the name and version first, then the commit', async () => {
  const run = await runCaptured(buildCli(), ['--version']);
  assert.equal(run.exitCode, 0);
  const [first, second] = run.stdout.split('\n');
  assert.match(first!, /^podvm-image-builder version \d+\.\d+\.\d+$/);
  assert.match(second!, /^ {2}commit: /);
});

test('--help explains the program and exits 0', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^Usage: podvm-image-builder /);
});

test('an unknown option fails with a message that names it', async () => {
  const run = await runCaptured(buildCli(), ['--no-such-option']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /unknown option '--no-such-option'/);
});

test('takes -log-format and -log-level like every binary (LOG_FORMAT, LOG_LEVEL)', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  const help = run.stdout.replace(/\s+/g, ' ');
  assert.match(help, /--log-format <format> .*\(choices: "text", "json", default: "text", env: LOG_FORMAT\)/);
  assert.match(help, /--log-level <level> .*default: "info", env: LOG_LEVEL\)/);
  const bad = await runCaptured(buildCli(), ['-log-format', 'xml']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /argument 'xml' is invalid/);
});
