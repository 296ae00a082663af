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

test('build --help names every provider, what the image boots with, and what is not done yet', async () => {
  const run = await runCaptured(buildCli(), ['build', '--help']);
  assert.equal(run.exitCode, 0);
  const help = run.stdout.replace(/\s+/g, ' ');
  for (const provider of ['libvirt', 'aws', 'azure', 'ibmcloud', 'vsphere'])
    assert.match(help, new RegExp(` ${provider} `));
  assert.match(help, /--provider <name> .*\(choices: "libvirt", "aws", "azure", "ibmcloud", "vsphere"\)/);
  assert.match(help, /--format <format> .*\(choices: "qcow2", "raw", "vhd", "vmdk"\)/);
  assert.match(help, /Not done yet: uploading the image to a cloud image service/);
});

test('build refuses a missing provider, an unknown format and a missing --agent file', async () => {
  const none = await runCaptured(buildCli(), ['build', '--output', '/tmp/x.qcow2']);
  assert.equal(none.exitCode, 2);
  assert.match(none.stderr, /required option '--provider <name>' not specified/);
  const format = await runCaptured(buildCli(), [
    'build',
    '--provider',
    'libvirt',
    '--output',
    '/tmp/x',
    '--format',
    'iso',
  ]);
  assert.equal(format.exitCode, 2);
  assert.match(format.stderr, /argument 'iso' is invalid/);
  const agent = await runCaptured(buildCli(), [
    'build',
    '--provider',
    'libvirt',
    '--output',
    '/tmp/x',
    '--agent',
    '/no/such/agent',
  ]);
  assert.equal(agent.exitCode, 2);
  assert.match(agent.stderr, /--agent \/no\/such\/agent: no such file/);
});
