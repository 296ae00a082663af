// The ibmcloud provider through ibm-cloud-sdk-core against tools/fake-ibm-vpc (a fake of IBM Cloud's
// VPC, IAM, Global Tagging and cluster APIs on loopback; not IBM Cloud).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { DEFAULT_IBM_CATALOG, FakeIbmVpc, type FakeIbmVpcOptions } from '@peerpods/fake-ibm-vpc';
import {
  type CloudApiCall,
  type CreateInstanceRequest,
  InstanceCreationError,
  instanceName,
  selectInstanceType,
} from '@peerpods/providers';
import { tempDir } from '@peerpods/test-support';
import { IbmCloudProvider } from '../src/ibmcloud-provider';
import { IBMCLOUD_OPTIONS } from '../src/options';
import { ibmCloudSettings } from '../src/settings';

const catalog = DEFAULT_IBM_CATALOG;
const owner = { nodeName: 'worker-1', clusterId: '' };
const fakes: FakeIbmVpc[] = [];
after(async () => {
  for (const fake of fakes) await fake.stop();
});

async function fakeCloud(options: FakeIbmVpcOptions = {}): Promise<FakeIbmVpc> {
  const fake = await FakeIbmVpc.start(options);
  fakes.push(fake);
  return fake;
}

function settingsFor(fake: FakeIbmVpc, extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const { values } = resolveOptions(
    IBMCLOUD_OPTIONS,
    { ...fake.providerFlags(), ...extra },
    {
      IBMCLOUD_API_KEY: catalog.apiKey,
      ...env,
    },
  );
  return ibmCloudSettings(values);
}

async function start(fake: FakeIbmVpc, extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const apiCalls: CloudApiCall[] = [];
  const provider = await IbmCloudProvider.start(
    settingsFor(fake, extra, env),
    { log: (line) => lines.push(line), owner, apiCalls: (call) => apiCalls.push(call) },
    { intervalMs: 20, attempts: 5 },
  );
  return { provider, lines, apiCalls };
}

let counter = 0;
function request(overrides: Partial<CreateInstanceRequest['spec']> = {}): CreateInstanceRequest {
  const sandboxId = `${String(++counter).padStart(2, '0')}${'ab'.repeat(31)}`;
  return {
    podName: 'nginx',
    sandboxId,
    instanceName: instanceName('nginx', sandboxId),
    userData: '#cloud-config\n\nwrite_files:\n  - path: /run/peerpod/apf.json\n    content: |\n      {}\n',
    spec: {
      instanceType: '',
      vcpus: 0,
      memoryMiB: 0,
      gpus: 0,
      image: '',
      multiNic: false,
      volumes: [],
      ...overrides,
    },
    signal: new AbortController().signal,
  };
}

test('lifecycle: the prototype is upstream’s, the tags are attached, the instance is listed as ours, and deletion is idempotent', async () => {
  const fake = await fakeCloud();
  const { provider, lines } = await start(fake, { tags: 'env:test,team-a' });
  const asked = request();
  const instance = await provider.createInstance(asked);
  assert.equal(instance.name, asked.instanceName);
  const [created] = fake.inventory().instances;
  assert.ok(created);
  assert.equal(instance.id, created.id);
  assert.deepEqual(instance.ips, [created.primaryIp]);
  assert.equal(created.profile, 'bx2-2x8');
  assert.equal(created.image, 'r006-amd64-4e5f6a7b-podvm', "the image of the profile's architecture");
  assert.equal(created.zone, 'us-south-1');
  assert.deepEqual(created.securityGroups, [catalog.securityGroups[0]!.id], "the cluster's kube-<id> group");
  assert.equal(created.confidentialComputeMode, 'disabled', 'DISABLECVM defaults to true');
  assert.equal(created.secureBoot, false);
  assert.equal(created.metadataService, true);
  assert.equal(created.userData, asked.userData, 'user-data goes raw');
  assert.deepEqual(created.tags, [
    `coco-pod-vm:${catalog.clusterId}`,
    'env:test',
    'team-a',
    `peerpods-sandbox-id:${asked.sandboxId}`,
    'peerpods-node:worker-1',
  ]);

  const listed = await provider.listInstances();
  assert.deepEqual(
    listed.map((entry) => [entry.id, entry.name, entry.sandboxId]),
    [[instance.id, instance.name, asked.sandboxId]],
  );
  const stranger = await IbmCloudProvider.forSweep(settingsFor(fake), {
    log: () => {},
    owner: { nodeName: 'worker-2', clusterId: '' },
  });
  assert.deepEqual(await stranger.listInstances(), [], "another node's provider does not list it");

  await provider.deleteInstance(instance.id);
  assert.deepEqual(fake.inventory().instances, []);
  await provider.deleteInstance(instance.id);
  assert.ok(lines.includes(`instance ${instance.id} was already gone`), lines.join('\n'));
  assert.ok(lines.some((line) => line === `CreateInstance: name: "${asked.instanceName}"`));
  assert.ok(!lines.join('\n').includes(catalog.apiKey), 'the API key never reaches a log line');
  assert.ok(fake.counts().tokensIssued >= 1);
});

test('profiles: sizes from the API, best fit by annotations, the image by architecture, the annotation image first', async () => {
  const fake = await fakeCloud();
  const { provider } = await start(fake, { 'profile-list': 'bx2-2x8,bx2-4x16,cx2-2x4,bz2-2x8' });
  const typeCatalog = provider.instanceTypeCatalog();
  assert.deepEqual(
    typeCatalog.types.map((type) => [type.name, type.vcpus, type.memoryMiB]),
    [
      ['cx2-2x4', 2, 4096],
      ['bx2-2x8', 2, 8192],
      ['bz2-2x8', 2, 8192],
      ['bx2-4x16', 4, 16384],
    ],
  );
  assert.equal(
    selectInstanceType({ instanceType: '', vcpus: 3, memoryMiB: 8192, gpus: 0 }, typeCatalog).instanceType,
    'bx2-4x16',
  );
  await assert.rejects(
    Promise.resolve().then(() =>
      selectInstanceType({ instanceType: 'gx3-16x80x1l4', vcpus: 0, memoryMiB: 0, gpus: 0 }, typeCatalog),
    ),
    /gx3-16x80x1l4/,
  );
  const s390 = await provider.createInstance(request({ instanceType: 'bz2-2x8' }));
  const annotated = await provider.createInstance(request({ image: 'r006-s390x-0a1b2c3d-podvm' }));
  const byId = new Map(fake.inventory().instances.map((entry) => [entry.id, entry]));
  assert.equal(
    byId.get(s390.id)?.image,
    'r006-s390x-0a1b2c3d-podvm',
    'an s390x profile gets the s390x image',
  );
  assert.equal(byId.get(annotated.id)?.image, 'r006-s390x-0a1b2c3d-podvm', 'the annotation wins');
  for (const id of byId.keys()) await provider.deleteInstance(id);

  await assert.rejects(
    start(fake, { 'profile-list': 'bx2-2x8,nope-9x9' }),
    /instance profile name nope-9x9 not found, due to/,
  );
});

test('a trusted profile with a projected token authenticates; a wrong API key fails without showing it', async () => {
  const fake = await fakeCloud();
  const token = join(tempDir(), 'vault-token');
  writeFileSync(token, 'eyJhbGciOiJSUzI1NiJ9.e30.projected');
  const { provider } = await start(
    fake,
    { 'cr-token-filename': token },
    {
      IBMCLOUD_API_KEY: '',
      IBMCLOUD_IAM_PROFILE_ID: catalog.trustedProfileId,
    },
  );
  const instance = await provider.createInstance(request());
  assert.ok(fake.counts().tokensForTrustedProfile >= 1);
  await provider.deleteInstance(instance.id);

  const secret = 'wrong-key-do-not-print-7f3a';
  await assert.rejects(start(fake, {}, { IBMCLOUD_API_KEY: secret }), (error: Error) => {
    assert.ok(!error.message.includes(secret), error.message);
    assert.match(error.message, /Provided API key could not be found|credentials/i);
    return true;
  });
  assert.throws(
    () => settingsFor(fake, {}, { IBMCLOUD_API_KEY: '' }),
    /either an IAM API Key or Profile ID needs to be set/,
  );
});

test('confidential VMs get TDX and secure boot; a second interface gets IP spoofing on its subnet', async () => {
  const fake = await fakeCloud();
  const { provider } = await start(fake, {
    'disable-cvm': 'false',
    'secondary-subnet-id': catalog.subnets[1]!.id,
  });
  const instance = await provider.createInstance(request());
  const [created] = fake.inventory().instances;
  assert.equal(created?.confidentialComputeMode, 'tdx');
  assert.equal(created?.secureBoot, true);
  assert.equal(created?.interfaces, 2);
  assert.equal(instance.ips.length, 2, 'every interface has its address');
  await provider.deleteInstance(instance.id);
});

test('a full dedicated host falls back to the zone’s host group', async () => {
  const fake = await fakeCloud({ faults: { dedicatedHostFull: true } });
  const { provider, lines } = await start(fake, {
    'dedicated-host-ids': catalog.dedicatedHosts.map((host) => host.id).join(','),
    'dedicated-host-group-ids': catalog.dedicatedHostGroups[0]!.id,
  });
  const instance = await provider.createInstance(request());
  assert.equal(fake.inventory().instances[0]?.placementTarget, catalog.dedicatedHostGroups[0]!.id);
  assert.ok(
    lines.some((line) =>
      line.startsWith(`warning, creation failed on dedicated host "${catalog.dedicatedHosts[0]!.id}"`),
    ),
    lines.join('\n'),
  );
  await provider.deleteInstance(instance.id);
  await assert.rejects(
    start(fake, { 'dedicated-host-ids': catalog.dedicatedHosts[1]!.id }),
    /no Dedicated Host in zone us-south-1 was provided/,
  );
});

test('faults: every failed create leaves nothing once the daemon deletes what it was handed', async () => {
  const fake = await fakeCloud();
  const { provider } = await start(fake);
  // As the daemon does: delete the instance a failed create hands back, then check for leaks.
  const attempt = async () => {
    try {
      return { instance: await provider.createInstance(request()), error: undefined };
    } catch (error) {
      const partial = error instanceof InstanceCreationError ? error.instance : undefined;
      if (partial) await provider.deleteInstance(partial.id);
      return { instance: undefined, error: error as Error };
    }
  };
  const cases: [string, Parameters<FakeIbmVpc['setFaults']>[0], RegExp][] = [
    [
      'refused',
      { createRefusals: { count: 1, code: 'over_quota', message: 'Quota exceeded.' } },
      /failed to create an instance: Quota exceeded\. \(HTTP 400, code over_quota/,
    ],
    [
      'server error after the create',
      { createServerErrors: 1 },
      /failed to create an instance: Internal error/,
    ],
    ['tagging refused', { tagFailures: 1 }, /failed to attach tags: The tag is not valid/],
    ['no address ever', { noAddress: true }, /network addresses not ready after 5 attempts/],
  ];
  for (const [name, faults, expected] of cases) {
    fake.setFaults(faults);
    const { instance, error } = await attempt();
    assert.equal(instance, undefined, name);
    assert.match(error?.message ?? '', expected, `${name}: ${error?.message}`);
    assert.deepEqual(fake.inventory().instances, [], `${name}: nothing left`);
  }
  fake.setFaults({ addressAfterGets: 2 });
  const late = await attempt();
  assert.ok(late.instance, `an address after two polls: ${late.error?.message}`);
  await provider.deleteInstance(late.instance.id);
  fake.setFaults({ deleteServerErrors: 1 });
  const retried = await attempt();
  assert.ok(retried.instance);
  await provider.deleteInstance(retried.instance.id);
  assert.deepEqual(fake.inventory().instances, [], 'a 500 on delete is retried by the SDK');
});

test('throttled (429 with Retry-After) calls are retried until they go through', async () => {
  const fake = await fakeCloud({ throttle: { capacity: 3, refillPerSecond: 4 } });
  const { provider, apiCalls } = await start(fake);
  const instances = await Promise.all([1, 2, 3, 4].map(() => provider.createInstance(request())));
  assert.equal(fake.inventory().instances.length, 4);
  assert.ok(fake.counts().throttled > 0, JSON.stringify(fake.counts()));
  // What the metrics see: every 429 the fake sent, each on a call that went through in the end.
  assert.equal(
    apiCalls.reduce((sum, call) => sum + call.throttled, 0),
    fake.counts().throttled,
  );
  for (const call of apiCalls.filter((each) => each.throttled > 0)) {
    assert.equal(call.outcome, 'success');
    assert.equal(call.attempts, call.throttled + 1);
  }
  assert.equal(apiCalls.filter((call) => call.operation === 'POST /instances').length, 4);
  await Promise.all(instances.map((instance) => provider.deleteInstance(instance.id)));
  assert.deepEqual(fake.inventory().instances, []);
});
