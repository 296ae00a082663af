import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNotifyListener, tempDir } from '@peerpods/test-support';
import { parseNotifyAddress, sdNotify } from '../src/index';

let unique = 0;
const abstractName = () => `@peerpods-sd-notify-test-${process.pid}-${unique++}`;

test('READY=1 reaches a path socket, and the credentials name this process', async () => {
  const listener = await startNotifyListener(join(tempDir(), 'notify.sock'));
  assert.equal(await sdNotify('READY=1', { env: { NOTIFY_SOCKET: listener.address } }), true);
  const got = await listener.next((m) => m.message === 'READY=1', 'READY=1');
  assert.equal(got.pid, process.pid);
});

test('an abstract socket (@name) works, and several assignments go in one datagram', async () => {
  const listener = await startNotifyListener(abstractName());
  await sdNotify('STOPPING=1\nSTATUS=draining', { env: { NOTIFY_SOCKET: listener.address } });
  const got = await listener.next((m) => m.message.startsWith('STOPPING=1'), 'STOPPING=1');
  assert.deepEqual(got, { pid: process.pid, message: 'STOPPING=1\nSTATUS=draining' });
});

test('NOTIFY_SOCKET unset or empty: nothing is sent and the call says so', async () => {
  assert.equal(await sdNotify('READY=1', { env: {} }), false);
  assert.equal(await sdNotify('READY=1', { env: { NOTIFY_SOCKET: '' } }), false);
});

test('a socket nobody listens on fails, naming NOTIFY_SOCKET and the errno', async () => {
  const missing = join(tempDir(), 'absent.sock');
  await assert.rejects(
    sdNotify('READY=1', { env: { NOTIFY_SOCKET: missing } }),
    new RegExp(`^Error: sd_notify "READY=1" to NOTIFY_SOCKET=${missing}: sendto: ENOENT$`),
  );
  await assert.rejects(
    sdNotify('READY=1', { env: { NOTIFY_SOCKET: abstractName() } }),
    /sendto: ECONNREFUSED$/,
  );
});

test('addresses systemd does not hand to Type=notify services here are refused by name', () => {
  assert.throws(
    () => parseNotifyAddress('relative.sock'),
    /NOTIFY_SOCKET="relative.sock": only an absolute path/,
  );
  assert.throws(() => parseNotifyAddress('vsock:2:1234'), /only an absolute path or an abstract name/);
  assert.throws(() => parseNotifyAddress('@'), /only an absolute path/);
  assert.throws(
    () => parseNotifyAddress(`/${'x'.repeat(107)}`),
    /longer than a unix socket address allows \(107 bytes\)/,
  );
  assert.equal(parseNotifyAddress(`/${'x'.repeat(106)}`).length, 2 + 108);
  assert.equal(parseNotifyAddress('@abc').length, 2 + 4);
});

test('a process that sends nothing but READY=1 prints no FFI warning', async () => {
  const listener = await startNotifyListener(abstractName());
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./src/index.ts').then((m) => m.sdNotify('READY=1'))"],
    {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, NOTIFY_SOCKET: listener.address },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output);
  assert.equal(output, '');
  const got = await listener.next((m) => m.message === 'READY=1', 'READY=1 from the child');
  assert.equal(got.pid, child.pid, 'sent by the process itself, not a helper');
});
