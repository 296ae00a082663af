// The forwarder as a real process: configuration errors, sd_notify, SIGTERM.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { spawnTs, startNotifyListener } from '@peerpods/test-support';
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

test("sd_notify: READY=1 once listening, STOPPING=1 on SIGTERM, both from the forwarder's own PID; exit 0", {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const pki = await caaPki();
  const config = join(dir, 'apf.json');
  writeFileSync(config, serializeApfConfig(apfConfig(pki)));
  const agentPath = join(dir, 'agent.sock');
  const agent = await startTestAgent(agentPath);
  // systemd under NotifyAccess=main (upstream's units) accepts only the main PID's messages.
  const listener = await startNotifyListener(join(dir, 'notify.sock'));
  try {
    const forwarder = run(['-config', config, '-listen', '127.0.0.1:0', '-kata-agent-socket', agentPath], {
      NOTIFY_SOCKET: listener.address,
    });
    const ready = await listener.next((m) => m.message === 'READY=1', 'READY=1');
    assert.equal(ready.pid, forwarder.child.pid);
    assert.match(
      forwarder.output(),
      /\[forwarder\] listening on 127\.0\.0\.1:\d+ \(TLS\) for pod default\/nginx/,
    );
    const exited = once(forwarder.child, 'exit');
    forwarder.child.kill('SIGTERM');
    assert.equal((await exited)[0], 0, forwarder.output());
    const stopping = await listener.next((m) => m.message === 'STOPPING=1', 'STOPPING=1');
    assert.equal(stopping.pid, forwarder.child.pid);
    assert.doesNotMatch(forwarder.output(), /ExperimentalWarning|sd_notify/);
  } finally {
    await agent.stop();
  }
});
