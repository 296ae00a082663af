// `cloud-api-adaptor azure sweep` against the ARM fake (paper VMs): this node's VMs, and only those.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { runCaptured } from '@peerpods/cli';
import { resolveOptions } from '@peerpods/config';
import { FakeArm } from '@peerpods/fake-arm';
import { azureProviderFactory } from '@peerpods/provider-azure';
import type { Owner } from '@peerpods/providers';
import { tempDir } from '@peerpods/test-support';
import { buildCli } from '../src/cli';

const fake = await FakeArm.start();
after(() => fake.stop());
setDefaultCACertificates([...getCACertificates('default'), fake.ca.certPem]);
const env = {
  AZURE_CLIENT_ID: 'sweep',
  AZURE_CLIENT_SECRET: 'fake-sweep-secret',
  ...fake.clientEnv(),
};
Object.assign(process.env, env, { NODE_NAME: 'worker-a', PEERPODS_CLUSTER_ID: '' });

async function launch(owner: Owner, n: number): Promise<string> {
  const { values } = resolveOptions(azureProviderFactory.options, {}, env);
  const provider = await azureProviderFactory.create(values, { log: () => {}, owner });
  after(() => provider.teardown());
  const sandboxId = `${String(n).padStart(2, '0')}${'ef'.repeat(31)}`;
  const instance = await provider.createInstance({
    podName: `q${n}`,
    sandboxId,
    instanceName: `podvm-q${n}-${sandboxId.slice(0, 8)}`,
    userData: '#cloud-config\n',
    spec: { instanceType: '', vcpus: 0, memoryMiB: 0, gpus: 0, image: '', multiNic: false, volumes: [] },
    signal: new AbortController().signal,
  });
  return instance.name;
}

test('azure sweep: lists and deletes this node’s VMs (with their NICs and disks), not another node’s', async () => {
  const socket = join(tempDir(), 'hypervisor.sock');
  const mine = await launch({ nodeName: 'worker-a', clusterId: '' }, 1);
  const theirs = await launch({ nodeName: 'worker-b', clusterId: '' }, 2);
  const dry = await runCaptured(buildCli(), ['azure', 'sweep', '--dry-run', '-socket', socket]);
  assert.equal(dry.exitCode ?? 0, 0, dry.stderr);
  assert.match(dry.stdout, /^1 pod VM\(s\) owned by node worker-a$/m);
  assert.match(
    dry.stdout,
    new RegExp(`^  /subscriptions/.*/virtualMachines/${mine}  ${mine}  sandbox 01efefefefef`, 'm'),
  );
  const run = await runCaptured(buildCli(), ['azure', 'sweep', '-socket', socket]);
  assert.equal(run.exitCode ?? 0, 0, run.stderr);
  assert.match(run.stdout, /^deleted 1$/m);
  await fake.settled();
  const inventory = fake.inventory();
  assert.deepEqual(
    inventory.vms.map((vm) => vm.name),
    [theirs],
  );
  assert.deepEqual(inventory.networkInterfaces, [`${theirs}-net`], "the swept VM's NIC went with it");
  assert.deepEqual(inventory.disks, [`${theirs}-disk`]);
});
