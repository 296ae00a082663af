// The provider against a real libvirtd (tools/libvirt-sandbox). Needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { LibvirtClient } from '@peerpods/libvirt-rpc';
import { type LibvirtSandbox, startLibvirtSandbox } from '@peerpods/libvirt-sandbox';
import { InstanceCreationError, type ProviderContext } from '@peerpods/providers';
import { LibvirtProvider } from '../src/libvirt-provider';
import { LIBVIRT_OPTIONS } from '../src/options';
import { libvirtSettings } from '../src/settings';

let sandbox: LibvirtSandbox;
const logs: string[] = [];
const context: ProviderContext = {
  log: (line) => logs.push(line),
  owner: { nodeName: 'worker-1', clusterId: 'c1' },
};
const settingsFor = (flags: Record<string, string>) =>
  libvirtSettings(resolveOptions(LIBVIRT_OPTIONS, flags, {}).values);
const spec = { instanceType: '', vcpus: 1, memoryMiB: 64, gpus: 0, image: '', multiNic: false, volumes: [] };
const request = (name: string, sandboxId: string) => ({
  podName: 'web',
  sandboxId,
  instanceName: name,
  userData: '#cloud-config\nwrite_files: []\n',
  spec,
  signal: new AbortController().signal,
});

before(async () => {
  sandbox = await startLibvirtSandbox({ prefix: 'lvprov' });
});
after(() => sandbox?.stop());

test("test:///default: a missing base volume is upstream's error; pool and network errors name their flags", async () => {
  const uri = sandbox.uri('test', '/default');
  await assert.rejects(
    LibvirtProvider.start(settingsFor({ uri, 'pool-name': 'default-pool' }), context),
    /^Error: Error in creating volume: Can't retrieve volume podvm-base\.qcow2$/,
  );
  await assert.rejects(
    LibvirtProvider.start(settingsFor({ uri, 'pool-name': 'absent' }), context),
    /libvirt storage pool absent \(-pool-name, LIBVIRT_POOL\)/,
  );
  await assert.rejects(
    LibvirtProvider.start(
      settingsFor({ uri, 'pool-name': 'default-pool', 'network-name': 'absent' }),
      context,
    ),
    /libvirt network absent \(-network-name, LIBVIRT_NET\)/,
  );
  await assert.rejects(
    LibvirtProvider.start(settingsFor({ uri: 'qemu+unix:///system?socket=/absent' }), context),
    /connecting to libvirt at qemu\+unix:\/\/\/system\?socket=\/absent: cannot connect/,
  );
  const provider = LibvirtProvider.forSweep(settingsFor({ uri, 'pool-name': 'default-pool' }), context);
  try {
    await assert.rejects(
      provider.createInstance(request('podvm-web-1', 'a'.repeat(64))),
      /Error in creating volume: Can't retrieve volume podvm-base\.qcow2/,
    );
    assert.deepEqual(await provider.listInstances(), [], "the test driver's own domain is not ours");
    await provider.deleteInstance('6695eb01-f6a4-8304-79aa-000000000000');
    assert.ok(logs.some((line) => /domain 6695eb01-.* is already gone/.test(line)));
  } finally {
    await provider.teardown();
  }
});

test('qemu:///system: create makes the volumes and a running domain; one that never gets a lease is deleted whole', async () => {
  const uri = sandbox.uri();
  const admin = await LibvirtClient.connect(uri);
  const baseFile = join(sandbox.dir, 'base.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', baseFile, '64M']);
  const pool = await admin.createPool(
    `<pool type='dir'><name>pp</name><target><path>${sandbox.poolDir}</path></target></pool>`,
  );
  const base = await admin.createVolume(
    pool,
    "<volume><name>podvm-base.qcow2</name><capacity unit='bytes'>67108864</capacity><target><format type='qcow2'/></target></volume>",
  );
  assert.ok(base.key.endsWith('podvm-base.qcow2'));
  const network = await admin.createNetwork(
    "<network><name>pn</name><bridge name='pnbr0'/><ip address='10.231.0.1' netmask='255.255.255.0'><dhcp><range start='10.231.0.10' end='10.231.0.20'/></dhcp></ip></network>",
  );
  const provider = await LibvirtProvider.start(
    settingsFor({ uri, 'pool-name': 'pp', 'network-name': 'pn', firmware: '', 'root-disk-size': '1' }),
    context,
    { timeoutMs: 1500, intervalMs: 250 },
  );
  const sandboxId = 'b'.repeat(64);
  try {
    const failure = await provider
      .createInstance(request('podvm-web-2', sandboxId))
      .catch((error: unknown) => error);
    assert.ok(failure instanceof InstanceCreationError, String(failure));
    assert.match(
      failure.message,
      /creating pod VM podvm-web-2: domain podvm-web-2 has no DHCP lease on network pn after 2 s/,
    );
    const id = failure.instance!.id;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    const volumes = (await admin.listVolumes(pool)).map((volume) => volume.name).sort();
    assert.deepEqual(volumes, ['podvm-base.qcow2', 'podvm-web-2-cloudinit.iso', 'podvm-web-2-root.qcow2']);
    const root = await admin.lookupVolumeByName(pool, 'podvm-web-2-root.qcow2');
    assert.equal(
      (await admin.volumeInfo(root)).capacity,
      1024n ** 3n,
      '-root-disk-size over the base capacity',
    );
    assert.match(await admin.volumeXml(root), /<backingStore>[\s\S]*podvm-base\.qcow2/);

    const [owned] = await provider.listInstances();
    assert.equal(owned?.id, id);
    assert.equal(owned?.sandboxId, sandboxId);
    assert.equal(owned?.tags['peerpods-cluster-id'], 'c1');
    const other = LibvirtProvider.forSweep(settingsFor({ uri }), {
      ...context,
      owner: { nodeName: 'worker-2', clusterId: 'c1' },
    });
    assert.deepEqual(await other.listInstances(), [], "another node's sweep does not see it");
    await other.teardown();

    await provider.deleteInstance(id);
    assert.deepEqual(
      (await admin.listVolumes(pool)).map((volume) => volume.name),
      ['podvm-base.qcow2'],
    );
    assert.deepEqual(await admin.listAllDomains(), []);
    assert.deepEqual(readdirSync(sandbox.poolDir), ['podvm-base.qcow2']);
    await provider.deleteInstance(id);
  } finally {
    await provider.teardown();
    await admin.destroyNetwork(network);
    await admin.close();
  }
  assert.ok(existsSync(baseFile));
});
