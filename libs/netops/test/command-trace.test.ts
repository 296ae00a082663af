import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CommandRunner, tracingRunner } from '../src/index';

test('tracingRunner reports the command line and its batch input, then runs it', async () => {
  const ran: string[] = [];
  const inner: CommandRunner = async (file, args) => {
    ran.push([file, ...args].join(' '));
    return { stdout: 'out', stderr: '' };
  };
  const lines: string[] = [];
  const run = tracingRunner((line) => lines.push(line), inner);

  assert.deepEqual(await run('ip', ['-n', 'pod ns', 'link', 'show']), { stdout: 'out', stderr: '' });
  await run('ip', ['-batch', '-'], { input: 'link add a type dummy\nlink set a up\n' });

  assert.deepEqual(ran, ['ip -n pod ns link show', 'ip -batch -']);
  assert.deepEqual(lines, [
    "running ip -n 'pod ns' link show",
    'running ip -batch - <<< link add a type dummy; link set a up',
  ]);
});
