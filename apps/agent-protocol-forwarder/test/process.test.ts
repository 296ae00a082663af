// The forwarder as a real process: configuration errors, sd_notify, SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { spawnTs } from '@peerpods/test-support';
import { apfConfig, caaPki, serializeApfConfig, startTestAgent, tempDir } from './harness';

const main = resolve(import.meta.dirname, 'fixtures/main.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnTs(main, args, env);
}

test('a missing or invalid apf.json stops the forwarder with a message naming the file or field', {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const missing = run(['-config', join(dir, 'nope.json'), '-listen', '127.0.0.1:0']);
  assert.notEqual((await once(missing.child, 'exit'))[0], 0);
  assert.match(missing.output(), /reading the forwarder configuration .*nope\.json: ENOENT/);

  const bad = join(dir, 'bad.json');
  const pki = await caaPki();
  writeFileSync(bad, serializeApfConfig(apfConfig(pki)).replace('"mtu": 1450', '"mtu": -1'));
  const invalid = run(['-config', bad, '-listen', '127.0.0.1:0']);
  assert.notEqual((await once(invalid.child, 'exit'))[0], 0);
  assert.match(invalid.output(), /bad\.json: pod-network\.mtu/);

  const noCert = join(dir, 'no-cert.json');
  writeFileSync(
    noCert,
    serializeApfConfig(apfConfig(pki, { tlsServerCert: undefined, tlsServerKey: undefined })),
  );
  const noTls = run(['-config', noCert, '-listen', '127.0.0.1:0']);
  assert.notEqual((await once(noTls.child, 'exit'))[0], 0);
  assert.match(noTls.output(), /no TLS server certificate: give -cert-file and -cert-key/);

  const valid = join(dir, 'valid.json');
  writeFileSync(valid, serializeApfConfig(apfConfig(pki)));
  const skip = run(['-config', valid, '-listen', '127.0.0.1:0', '-tls-skip-verify']);
  assert.notEqual((await once(skip.child, 'exit'))[0], 0);
  assert.match(skip.output(), /-tls-skip-verify/);
});

test('sd_notify: READY=1 once listening, STOPPING=1 on SIGTERM; exit 0', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const pki = await caaPki();
  const config = join(dir, 'apf.json');
  writeFileSync(config, serializeApfConfig(apfConfig(pki)));
  const agentPath = join(dir, 'agent.sock');
  const agent = await startTestAgent(agentPath);
  // Node has no unix datagram sockets: a tiny Python listener plays systemd's notify socket.
  const notifySocket = join(dir, 'notify.sock');
  const listener = spawn(
    'python3',
    [
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\nwhile True:\n  print(s.recv(4096).decode(),flush=True)',
      notifySocket,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let notified = '';
  listener.stdout!.on('data', (chunk) => {
    notified += chunk;
  });
  try {
    while (!notified.includes('bound')) await new Promise((r) => setTimeout(r, 20));
    const forwarder = run(['-config', config, '-listen', '127.0.0.1:0', '-kata-agent-socket', agentPath], {
      NOTIFY_SOCKET: notifySocket,
    });
    while (!notified.includes('READY=1')) {
      if (forwarder.child.exitCode !== null) assert.fail(forwarder.output());
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(
      forwarder.output(),
      /\[forwarder\] listening on 127\.0\.0\.1:\d+ \(TLS\) for pod default\/nginx/,
    );
    const exited = once(forwarder.child, 'exit');
    forwarder.child.kill('SIGTERM');
    assert.equal((await exited)[0], 0, forwarder.output());
    assert.match(notified, /STOPPING=1/);
  } finally {
    listener.kill();
    await agent.stop();
  }
});
