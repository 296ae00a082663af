import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { buildCli } from '../src/cli';

test('--version prints the name and version first, then the commit', async () => {
  const run = await runCaptured(buildCli(), ['--version']);
  assert.equal(run.exitCode, 0);
  const [first, second] = run.stdout.split('\n');
  assert.match(first!, /^agent-protocol-forwarder version \d+\.\d+\.\d+$/);
  assert.match(second!, /^ {2}commit: /);
});

test('--help explains the program and exits 0', async () => {
  const run = await runCaptured(buildCli(), ['--help']);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /^Usage: agent-protocol-forwarder /);
});

test('an unknown option fails with a message that names it', async () => {
  const run = await runCaptured(buildCli(), ['--no-such-option']);
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stderr, /unknown option '--no-such-option'/);
});

test('help lists every upstream flag with its upstream default', async () => {
  const run = await runCaptured(buildCli(), ['-help']);
  assert.equal(run.exitCode, 0);
  for (const flag of [
    'config',
    'listen',
    'kata-agent-socket',
    'pod-namespace',
    'host-interface',
    'ca-cert-file',
    'cert-file',
    'cert-key',
    'tls-skip-verify',
    'disable-tls',
  ]) {
    assert.match(run.stdout, new RegExp(`--${flag}\\b`), flag);
  }
  assert.match(run.stdout, /default:\s+"0\.0\.0\.0:15150"/);
  assert.match(run.stdout, /default:\s+"\/run\/peerpod\/apf\.json"/);
});
