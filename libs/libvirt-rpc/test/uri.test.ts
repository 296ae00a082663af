import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLibvirtUri, SYSTEM_SOCKET, sshArguments } from '../src/uri';

test('local URIs reach the system socket, or the one ?socket= names, and open the driver without the transport', () => {
  assert.deepEqual(parseLibvirtUri('qemu:///system'), {
    remoteName: 'qemu:///system',
    transport: { kind: 'unix', socketPath: SYSTEM_SOCKET },
  });
  assert.deepEqual(parseLibvirtUri('test+unix:///default?socket=/tmp/s'), {
    remoteName: 'test:///default',
    transport: { kind: 'unix', socketPath: '/tmp/s' },
  });
});

test("upstream's default qemu+ssh URI runs ssh to the host as the user, accepting an unknown host key", () => {
  const parsed = parseLibvirtUri('qemu+ssh://root@192.168.122.1/system?no_verify=1');
  assert.equal(parsed.remoteName, 'qemu:///system');
  assert.equal(parsed.transport.kind, 'ssh');
  if (parsed.transport.kind !== 'ssh') return;
  const args = sshArguments(parsed.transport, parsed.remoteName);
  assert.deepEqual(args.slice(0, 5), ['-T', '-e', 'none', '-o', 'BatchMode=yes']);
  assert.ok(args.includes('-l') && args[args.indexOf('-l') + 1] === 'root');
  assert.ok(args.includes('StrictHostKeyChecking=no'));
  assert.equal(args.at(-2), '192.168.122.1');
  // Its own helper when the host has one, else netcat to the daemon's socket, as libvirt does.
  assert.match(args.at(-1)!, /then exec virt-ssh-helper .*qemu:\/\/\/system/);
  assert.match(args.at(-1)!, /else exec .*nc.* -U .*\/run\/libvirt\/libvirt-sock/);
});

test('ssh options: port, keyfile, a netcat-only proxy and a remote socket', () => {
  const parsed = parseLibvirtUri(
    'qemu+ssh://host.example:2222/system?keyfile=/k&proxy=netcat&netcat=ncat&socket=/s',
  );
  if (parsed.transport.kind !== 'ssh') throw new Error('not ssh');
  const args = sshArguments(parsed.transport, parsed.remoteName);
  assert.equal(args[args.indexOf('-p') + 1], '2222');
  assert.equal(args[args.indexOf('-i') + 1], '/k');
  assert.equal(args.at(-1), `sh -c ''\\''ncat'\\'' -U '\\''/s'\\'''`);
});

test('unsupported transports and malformed URIs are refused with what to use instead', () => {
  assert.throws(
    () => parseLibvirtUri('qemu+tls://host/system'),
    /the tls transport is not supported; use a local socket/,
  );
  assert.throws(() => parseLibvirtUri('qemu://host/system'), /the tls transport is not supported/);
  assert.throws(() => parseLibvirtUri('not a uri'), /invalid libvirt URI "not a uri"/);
  assert.throws(() => parseLibvirtUri('qemu+ssh:///system'), /ssh needs a host/);
});
