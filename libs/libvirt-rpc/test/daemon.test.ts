// Against a real libvirtd (tools/libvirt-sandbox: its own network and mount namespaces). Needs root.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LibvirtSandbox, startLibvirtSandbox } from '@peerpods/libvirt-sandbox';
import { tempDir } from '@peerpods/test-support';
import {
  DomainState,
  ErrorCode,
  formatUuid,
  isLibvirtError,
  LibvirtClient,
  LibvirtConnectionError,
  LibvirtError,
} from '../src/index';

let sandbox: LibvirtSandbox;
before(async () => {
  sandbox = await startLibvirtSandbox({ prefix: 'lvrpc' });
});
after(() => sandbox?.stop());

const domainXml = (name: string) =>
  `<domain type='test'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
  `<os><type arch='x86_64'>hvm</type></os><devices><interface type='network'><source network='default'/></interface></devices></domain>`;

test('the test driver through the daemon: list, look up, define, start, addresses, destroy, undefine', async () => {
  const client = await LibvirtClient.connect(sandbox.uri('test', '/default'));
  try {
    const [first] = await client.listAllDomains();
    assert.equal(first?.name, 'test');
    const byName = await client.lookupDomainByName('test');
    const byUuid = await client.lookupDomainByUuid(byName.uuid);
    assert.equal(formatUuid(byUuid.uuid), formatUuid(byName.uuid));

    const defined = await client.defineDomain(domainXml('podvm-a'));
    assert.equal(defined.name, 'podvm-a');
    assert.equal(defined.id, -1);
    assert.equal((await client.domainState(defined)).state, DomainState.Shutoff);
    await client.startDomain(defined);
    const running = await client.lookupDomainByName('podvm-a');
    assert.equal((await client.domainState(running)).state, DomainState.Running);
    const [iface] = await client.interfaceAddresses(running);
    assert.match(iface?.addresses[0]?.address ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(await client.domainXml(running), /<name>podvm-a<\/name>/);
    await client.destroyDomain(running);
    await client.undefineDomain(running, 0);
    await assert.rejects(client.lookupDomainByName('podvm-a'), (error: unknown) =>
      isLibvirtError(error, ErrorCode.NoDomain),
    );
  } finally {
    await client.close();
  }
});

test('onCall is told of each RPC by its procedure name and outcome', async () => {
  const calls: { procedure: string; ok: boolean }[] = [];
  const client = await LibvirtClient.connect(sandbox.uri('test', '/default'), undefined, {
    onCall: ({ procedure, ok, seconds }) => {
      assert.ok(seconds >= 0);
      calls.push({ procedure, ok });
    },
  });
  try {
    await client.lookupDomainByName('test');
    await client.lookupDomainByName('absent').catch(() => {});
  } finally {
    await client.close();
  }
  const lookups = calls.filter((call) => call.procedure.includes('LOOKUP_BY_NAME'));
  assert.deepEqual(
    lookups.map((call) => call.ok),
    [true, false],
    JSON.stringify(calls),
  );
  assert.ok(calls.some((call) => call.procedure === 'CONNECT_OPEN' && call.ok));
});

test("the daemon's errors arrive with their code and text, and calls in flight overlap", async () => {
  const client = await LibvirtClient.connect(sandbox.uri('test', '/default'));
  try {
    const error = await client.lookupDomainByName('absent').catch((caught: unknown) => caught);
    assert.ok(error instanceof LibvirtError);
    assert.equal(error.code, ErrorCode.NoDomain);
    assert.equal(error.procedure, 'DOMAIN_LOOKUP_BY_NAME');
    assert.match(error.message, /Domain not found/);
    const pool = await client.lookupPoolByName('default-pool');
    const results = await Promise.all([
      client.listAllDomains(),
      client.lookupNetworkByName('default'),
      client.listVolumes(pool),
      client.version(),
      client.lookupPoolByName('absent').catch((caught: unknown) => caught),
    ]);
    assert.equal(results[1].name, 'default');
    assert.ok(isLibvirtError(results[4], ErrorCode.NoStoragePool));
  } finally {
    await client.close();
  }
});

test('qemu:///system: a dir pool, a volume uploaded over a stream (several packets), read back, deleted', async () => {
  const client = await LibvirtClient.connect(sandbox.uri());
  try {
    assert.ok((await client.version()) > 7_000_000n, 'QEMU 7 or later');
    const pool = await client.createPool(
      `<pool type='dir'><name>rpc-test</name><target><path>${sandbox.poolDir}</path></target></pool>`,
    );
    const size = 700_000;
    const volume = await client.createVolume(
      pool,
      `<volume><name>seed.iso</name><capacity unit='bytes'>${size}</capacity><target><format type='raw'/></target></volume>`,
    );
    const data = Buffer.alloc(size);
    for (let index = 0; index < size; index++) data[index] = (index * 7) % 251;
    await client.uploadVolume(volume, data);
    const path = await client.volumePath(volume);
    assert.equal(path, join(sandbox.poolDir, 'seed.iso'));
    assert.ok(readFileSync(path).equals(data));
    assert.equal((await client.volumeInfo(volume)).capacity, BigInt(size));
    assert.deepEqual((await client.lookupVolumeByPath(path)).name, 'seed.iso');
    await client.deleteVolume(volume);
    await assert.rejects(client.lookupVolumeByName(pool, 'seed.iso'), (error: unknown) =>
      isLibvirtError(error, ErrorCode.NoStorageVol),
    );
    await client.destroyPool(pool);
  } finally {
    await client.close();
  }
});

test('a connection that closes fails its calls in flight and later ones with a connection error', async () => {
  const client = await LibvirtClient.connect(sandbox.uri('test', '/default'));
  await client.close();
  assert.equal(client.closed, true);
  await assert.rejects(client.listAllDomains(), LibvirtConnectionError);
  await assert.rejects(
    LibvirtClient.connect('qemu+unix:///system?socket=/nonexistent/sock'),
    /cannot connect to libvirt at \/nonexistent\/sock: .*is libvirtd running\?/,
  );
});

test("qemu+ssh runs ssh, which runs the remote helper; a fake ssh here runs it in the daemon's namespace", async () => {
  // The fake stands in for ssh only: it checks the options libvirt's ssh transport passes, then
  // runs the remote command (virt-ssh-helper, the real one) where the sandboxed daemon's socket is.
  const dir = tempDir();
  const fakeSsh = join(dir, 'fake-ssh');
  writeFileSync(
    fakeSsh,
    [
      '#!/bin/bash',
      `echo "$*" > ${join(dir, 'argv')}`,
      'for last; do :; done',
      `exec nsenter --mount=${sandbox.mountNamespace} sh -c "$last"`,
      '',
    ].join('\n'),
  );
  chmodSync(fakeSsh, 0o755);
  const client = await LibvirtClient.connect(
    `test+ssh://tester@worker.invalid:2022/default?command=${fakeSsh}&no_verify=1`,
  );
  try {
    assert.equal((await client.listAllDomains())[0]?.name, 'test');
  } finally {
    await client.close();
  }
  const argv = readFileSync(join(dir, 'argv'), 'utf8');
  assert.match(
    argv,
    /^-T -e none -o BatchMode=yes -p 2022 -l tester -o StrictHostKeyChecking=no -- worker\.invalid sh -c /,
  );
  await assert.rejects(
    LibvirtClient.connect(`test+ssh://worker.invalid/default?command=${join(dir, 'absent')}`),
    /cannot run .*absent for libvirt's ssh transport/,
  );
});
