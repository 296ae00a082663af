// The daemon's periodic orphan sweep, with the real EC2 SDK against the EC2 fake (paper instances):
// this node's unheld pod VMs past the grace period go, younger or held ones stay, another node's are
// never seen, and a dry run deletes nothing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveOptions } from '@peerpods/config';
import { FakeEc2 } from '@peerpods/fake-ec2';
import { TextLogger } from '@peerpods/log';
import { awsProviderFactory } from '@peerpods/provider-aws';
import type { Owner, Provider } from '@peerpods/providers';
import { OrphanSweeper } from '../src/orphan-sweeper';

const fake = await FakeEc2.start();
after(() => fake.stop());
const env = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEORPHAN000001',
  AWS_SECRET_ACCESS_KEY: 'fake-orphan-secret',
  ...fake.clientEnv(),
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function providerFor(owner: Owner): Promise<Provider> {
  const { values } = resolveOptions(awsProviderFactory.options, {}, env);
  const provider = await awsProviderFactory.create(values, { log: () => {}, owner });
  after(() => provider.teardown());
  return provider;
}

async function launch(provider: Provider, n: number): Promise<{ id: string; sandboxId: string }> {
  const sandboxId = `${String(n).padStart(2, '0')}${'ef'.repeat(31)}`;
  const instance = await provider.createInstance({
    podName: `o${n}`,
    sandboxId,
    instanceName: `podvm-o${n}-${sandboxId.slice(0, 8)}`,
    userData: '#cloud-config\n',
    spec: { instanceType: '', vcpus: 0, memoryMiB: 0, gpus: 0, image: '', multiNic: false, volumes: [] },
    signal: new AbortController().signal,
  });
  return { id: instance.id, sandboxId };
}

test('orphan sweep: past the grace period and unheld → deleted and logged with its age; inside it, or held, or another node’s → kept; a dry run only says', async () => {
  const mine = await providerFor({ nodeName: 'worker-o', clusterId: '' });
  const other = await providerFor({ nodeName: 'worker-p', clusterId: '' });
  const old = await launch(mine, 1);
  const held = await launch(mine, 2);
  const foreign = await launch(other, 3);
  // Launch times have a resolution of a second: the young one is launched clearly later.
  await sleep(1100);
  const young = await launch(mine, 4);
  const listed = await mine.listInstances();
  assert.deepEqual(listed.map((i) => i.id).sort(), [old.id, held.id, young.id].sort(), 'this node’s only');
  const createdAt = (id: string) => listed.find((i) => i.id === id)!.createdAt.getTime();
  const graceMs = 10 * 60_000;
  // The clock of the round: the old ones are past the grace period, the young one just inside it.
  const now = () => createdAt(young.id) + graceMs - 500;
  assert.ok(now() - createdAt(old.id) >= graceMs);

  const lines: string[] = [];
  const sweeper = (dryRun: boolean) =>
    new OrphanSweeper({
      provider: mine,
      holds: (instance) => instance.sandboxId === held.sandboxId,
      intervalMs: 60_000,
      graceMs,
      dryRun,
      log: new TextLogger('adaptor/sweep', { write: (line) => lines.push(line) }),
      now,
    });

  const dry = await sweeper(true).sweepOnce();
  assert.deepEqual(
    dry.orphans.map((i) => i.id),
    [old.id],
  );
  assert.deepEqual(dry.deleted, []);
  assert.match(
    lines.join(''),
    new RegExp(
      `dry run: would delete orphan pod VM ${old.id} \\(podvm-o1-01efefef\\), \\d+ min old, held by no sandbox`,
    ),
  );
  assert.equal(fake.live().length, 4, 'nothing deleted');

  const real = await sweeper(false).sweepOnce();
  assert.deepEqual(real.deleted, [old.id]);
  assert.deepEqual(
    real.young.map((i) => i.id),
    [young.id],
  );
  assert.match(
    lines.join(''),
    new RegExp(`\\[adaptor/sweep\\] deleted orphan pod VM ${old.id} \\(podvm-o1-01efefef\\), 10 min old`),
  );
  const live = fake
    .live()
    .filter((i) => i.state !== 'shutting-down')
    .map((i) => i.instanceId)
    .sort();
  assert.deepEqual(live, [held.id, foreign.id, young.id].sort());
});

test('orphan sweep: start() sweeps at once and then every interval; stop() ends it; an interval of 0 never sweeps', async () => {
  let rounds = 0;
  const provider = {
    listInstances: async () => {
      rounds++;
      return [];
    },
    deleteInstance: async () => {},
  };
  const log = new TextLogger('adaptor/sweep', { write: () => {} });
  const sweeper = new OrphanSweeper({
    provider,
    holds: () => false,
    intervalMs: 20,
    graceMs: 0,
    dryRun: false,
    log,
  });
  sweeper.start();
  while (rounds < 3) await sleep(5);
  await sweeper.stop();
  const stoppedAt = rounds;
  await sleep(60);
  assert.equal(rounds, stoppedAt, 'no round after stop()');

  const never = new OrphanSweeper({
    provider,
    holds: () => false,
    intervalMs: 0,
    graceMs: 0,
    dryRun: false,
    log,
  });
  never.start();
  await sleep(30);
  assert.equal(rounds, stoppedAt, 'an interval of 0 means no sweep');
  await never.stop();
});
