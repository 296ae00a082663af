// `cloud-api-adaptor aws sweep` against the EC2 fake (paper instances): what this node owns, and only that.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { resolveOptions } from '@peerpods/config';
import { FakeEc2 } from '@peerpods/fake-ec2';
import { awsProviderFactory } from '@peerpods/provider-aws';
import type { Owner, Provider } from '@peerpods/providers';
import { tempDir } from '@peerpods/test-support';
import { buildCli } from '../src/cli';

const fake = await FakeEc2.start();
after(() => fake.stop());
const dir = tempDir();
const socket = join(dir, 'hypervisor.sock');
const env = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKESWEEP0000001',
  AWS_SECRET_ACCESS_KEY: 'fake-sweep-secret',
  ...fake.clientEnv(),
  // Everything is given: the worker's metadata service (169.254.169.254) is never asked.
  AWS_EC2_METADATA_DISABLED: 'true',
};
Object.assign(process.env, env, { NODE_NAME: 'worker-a', PEERPODS_CLUSTER_ID: 'prod' });

async function providerFor(owner: Owner): Promise<Provider> {
  const { values } = resolveOptions(awsProviderFactory.options, {}, env);
  const provider = await awsProviderFactory.create(values, { log: () => {}, owner });
  after(() => provider.teardown());
  return provider;
}

async function launch(provider: Provider, n: number): Promise<string> {
  const sandboxId = `${String(n).padStart(2, '0')}${'cd'.repeat(31)}`;
  const instance = await provider.createInstance({
    podName: `p${n}`,
    sandboxId,
    instanceName: `podvm-p${n}-${sandboxId.slice(0, 8)}`,
    userData: '#cloud-config\n',
    spec: { instanceType: '', vcpus: 0, memoryMiB: 0, gpus: 0, image: '', multiNic: false, volumes: [] },
    signal: new AbortController().signal,
  });
  return instance.id;
}

test('sweep: --dry-run lists this node and cluster’s pod VMs; a real run deletes those and nothing else; refused while a daemon serves the socket', async () => {
  const mine = await providerFor({ nodeName: 'worker-a', clusterId: 'prod' });
  const otherNode = await providerFor({ nodeName: 'worker-b', clusterId: 'prod' });
  const otherCluster = await providerFor({ nodeName: 'worker-a', clusterId: 'staging' });
  const owned = [await launch(mine, 1), await launch(mine, 2)];
  const foreign = [await launch(otherNode, 3), await launch(otherCluster, 4)];

  const dry = await runCaptured(buildCli(), ['aws', 'sweep', '--dry-run', '-socket', socket]);
  assert.equal(dry.exitCode ?? 0, 0, dry.stderr);
  assert.match(dry.stdout, /^2 pod VM\(s\) owned by node worker-a, cluster prod$/m);
  for (const id of owned)
    assert.match(dry.stdout, new RegExp(`^  ${id}  podvm-p\\d-\\d{2}cdcdcd  sandbox \\d{2}cdcdcdcdcd`, 'm'));
  assert.match(dry.stdout, /dry run: nothing deleted/);
  assert.equal(fake.live().length, 4);

  // A daemon serving the socket: its pod VMs may be live, so a real sweep is refused.
  const daemon = createServer();
  await new Promise<void>((resolve) => daemon.listen(socket, resolve));
  const refused = await runCaptured(buildCli(), ['aws', 'sweep', '-socket', socket]).catch(
    (error: Error) => ({
      exitCode: 1,
      stdout: '',
      stderr: error.message,
    }),
  );
  await new Promise<void>((resolve) => daemon.close(() => resolve()));
  assert.notEqual(refused.exitCode ?? 0, 0, JSON.stringify(refused));
  assert.match(refused.stderr, /another process is serving .*hypervisor\.sock/);
  assert.equal(fake.live().length, 4, 'nothing deleted');

  const run = await runCaptured(buildCli(), ['aws', 'sweep', '-socket', socket]);
  assert.equal(run.exitCode ?? 0, 0, run.stderr);
  assert.match(run.stdout, /^deleted 2$/m);
  await fake.settled();
  assert.deepEqual(
    fake
      .live()
      .map((instance) => instance.instanceId)
      .sort(),
    [...foreign].sort(),
    "another node's and another cluster's instances are left alone",
  );
});

test('sweep --min-age: younger pod VMs are left; a bad duration is a usage error', async () => {
  const bad = await runCaptured(buildCli(), [
    'aws',
    'sweep',
    '--dry-run',
    '--min-age',
    'soon',
    '-socket',
    socket,
  ]);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /--min-age: /);
  const young = await runCaptured(buildCli(), [
    'aws',
    'sweep',
    '--dry-run',
    '--min-age',
    '1h',
    '-socket',
    socket,
  ]);
  assert.match(young.stdout, /^0 pod VM\(s\) owned by node worker-a, cluster prod and older than 3600 s$/m);
});
