// What a restart reads: sandbox records (checked field by field) and the saved CA (reused when usable,
// replaced with a warning when not).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TextLogger } from '@peerpods/log';
import { parseSandboxRecord, readSandboxRecords, writeSandboxRecord } from '../src/sandbox-record';
import { loadOrCreateTlsState, TLS_STATE_FILE } from '../src/tls-state';
import { sandboxId, tempDir } from './harness';

const podNetwork = {
  podIp: '10.244.1.7/24',
  podHwAddr: '0a:58:0a:f4:01:07',
  interface: 'eth0',
  workerNodeIp: '192.168.122.63/24',
  tunnelType: 'vxlan',
  routes: [],
  neighbors: [],
  mtu: 1450,
  index: 3,
  vxlanPort: 4789,
  vxlanId: 555003,
  dedicated: false,
  externalNetViaPodVm: false,
};

test('a record is written 0600 and read back; bad records are reported by field, the good ones still read', () => {
  const podsDir = tempDir();
  const good = sandboxId(1);
  mkdirSync(join(podsDir, good));
  const record = {
    id: good,
    podName: 'web',
    podNamespace: 'default',
    netnsPath: '/run/netns/cni-1',
    instanceName: 'podvm-web-aaaaaaaa',
    state: 'running' as const,
    podNetwork,
    instance: { id: 'i-0123', name: 'podvm-web-aaaaaaaa', ips: ['10.0.0.5'] },
    tunnelUp: true,
  };
  writeSandboxRecord(join(podsDir, good), record);
  assert.equal(statSync(join(podsDir, good, 'sandbox.json')).mode & 0o777, 0o600);
  for (const [n, text] of [
    [2, '{"version": 1, "id": tru'],
    [3, JSON.stringify({ ...record, version: 1, id: sandboxId(3), state: 'running', instance: undefined })],
    [4, JSON.stringify({ ...record, version: 2, id: sandboxId(4) })],
  ] as const) {
    mkdirSync(join(podsDir, sandboxId(n)));
    writeFileSync(join(podsDir, sandboxId(n), 'sandbox.json'), text);
  }
  mkdirSync(join(podsDir, sandboxId(5))); // no record: not recovery's
  const { records, unreadable } = readSandboxRecords(podsDir);
  assert.deepEqual(records, [record]);
  assert.deepEqual(
    unreadable.map((u) => [u.id, u.reason.replace(/ \(.*\)$/, '')]).sort(),
    [
      [sandboxId(2), 'sandbox.json is not JSON'],
      [sandboxId(3), 'sandbox.json: a running sandbox must have its instance'],
      [sandboxId(4), 'sandbox.json has version 2, expected 1'],
    ].sort(),
  );
  assert.throws(
    () => parseSandboxRecord(JSON.stringify({ ...record, version: 1 }), sandboxId(9)),
    /id "a+1" is not its directory's/,
  );
});

test('the CA is saved 0600 and reused by the next start; an unusable file is replaced, with a warning', async () => {
  const podsDir = join(tempDir(), 'pods');
  mkdirSync(podsDir); // the daemon makes it before the TLS set-up
  const lines: string[] = [];
  const log = new TextLogger('adaptor', { write: (line) => lines.push(line) });
  const first = await loadOrCreateTlsState(podsDir, log);
  const file = join(podsDir, TLS_STATE_FILE);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const second = await loadOrCreateTlsState(podsDir, log);
  assert.equal(second.ca.certPem, first.ca.certPem);
  assert.deepEqual(second.client, first.client);
  assert.match(lines.join(''), /using the CA and client certificate saved in/);

  writeFileSync(file, readFileSync(file, 'utf8').replace(/"keyPem":"[^"]+"/, '"keyPem":"garbage"'));
  const third = await loadOrCreateTlsState(podsDir, log);
  assert.notEqual(third.ca.certPem, first.ca.certPem);
  assert.match(lines.join(''), /cannot be used .*making a new CA, so pod VMs from before cannot be adopted/);
  const fourth = await loadOrCreateTlsState(podsDir, log);
  assert.equal(fourth.ca.certPem, third.ca.certPem, 'the replacement was saved');
});
