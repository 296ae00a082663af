import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MAX_USER_DATA_BYTES, type ProvisionOptions, provisionFiles, UserDataError } from '../src/index';
import {
  type FakeOptions,
  type FakeService,
  startAlibabaMetadata,
  startAwsImds,
  startAzureImds,
  startGcpMetadata,
} from './fake-metadata';
import { closedPortUrl, listFiles, putFile, removeRoot, tempRoot, typicalUserData } from './helpers';

let root = '';
const fakes: FakeService[] = [];
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  await removeRoot(root);
});

type Cloud = 'Azure' | 'AWS' | 'GCP' | 'AlibabaCloud';

const clouds: Record<
  Cloud,
  { start: (o: FakeOptions) => Promise<FakeService>; options: (url: string) => ProvisionOptions }
> = {
  Azure: {
    start: startAzureImds,
    options: (url) => ({ endpoints: { azure: url }, probes: { hypervisorVendor: 'Microsoft Hv' } }),
  },
  AWS: {
    start: startAwsImds,
    options: (url) => ({ endpoints: { aws: url }, probes: { dmiSysVendor: 'Amazon EC2' } }),
  },
  GCP: {
    start: startGcpMetadata,
    options: (url) => ({ endpoints: { gcp: url }, probes: { hypervisorVendor: 'kvm' } }),
  },
  AlibabaCloud: {
    start: startAlibabaMetadata,
    options: (url) => ({ endpoints: { alibaba: url }, probes: { dmiSysVendor: 'Alibaba Cloud' } }),
  },
};

async function run(cloud: Cloud, fakeOptions: FakeOptions, extra: ProvisionOptions = {}) {
  const service = await clouds[cloud].start(fakeOptions);
  fakes.push(service);
  const options = clouds[cloud].options(service.url);
  return provisionFiles({
    root,
    retryIntervalMs: 100,
    fetchTimeoutMs: 2000,
    ...options,
    endpoints: { ibmcloud: 'http://127.0.0.1:9', ...options.endpoints },
    probes: { dmiSysVendor: '', hypervisorVendor: 'none', ...options.probes },
    ...extra,
  });
}

async function assertNothingWritten() {
  assert.deepEqual(await listFiles(root), []);
}

describe('the fetch timeout is honoured (-t 2)', () => {
  test('each service never answering ends with the timeout error naming it (run side by side)', async () => {
    await Promise.all(
      (Object.keys(clouds) as Cloud[]).map(async (cloud) => {
        const ownRoot = await tempRoot();
        try {
          await assert.rejects(
            run(cloud, { userData: typicalUserData(), behaviour: 'hang' }, { root: ownRoot }),
            (error: unknown) => {
              assert.ok(error instanceof UserDataError);
              assert.match(
                error.message,
                new RegExp(
                  `^failed to retrieve cloud config: no valid user-data from ${cloud} \\(http://127\\.0\\.0\\.1:\\d+/.*\\) within the 2s user-data fetch timeout; last error: .*no response in time`,
                ),
              );
              return true;
            },
          );
          assert.deepEqual(await listFiles(ownRoot), [], cloud);
        } finally {
          await removeRoot(ownRoot);
        }
      }),
    );
  });

  test('a failing service (500 every time) ends with the timeout error and its last failure', async () => {
    await assert.rejects(
      run('Azure', { behaviour: 'error' }),
      /within the 2s user-data fetch timeout; last error: failed to get user data: endpoint .* returned != 200 status code: 500/,
    );
    await assertNothingWritten();
  });

  test('a body that starts and never ends ends with the timeout error', async () => {
    await assert.rejects(
      run('AlibabaCloud', { behaviour: 'stall' }),
      /within the 2s user-data fetch timeout; last error: failed to get user data: GET .* body not received in time/,
    );
    await assertNothingWritten();
  });

  test('an unreachable service ends with the timeout error', async () => {
    const nobody = await closedPortUrl();
    await assert.rejects(
      provisionFiles({
        root,
        fetchTimeoutMs: 1000,
        retryIntervalMs: 100,
        endpoints: { alibaba: nobody },
        probes: { dmiSysVendor: 'Alibaba Cloud', hypervisorVendor: 'none' },
      }),
      /no valid user-data from AlibabaCloud \(http:\/\/127\.0\.0\.1:\d+\/latest\/user-data\) within the 1s user-data fetch timeout; last error: failed to get user data: failed to send request GET .*ECONNREFUSED/,
    );
  });
});

describe('malformed and oversize user-data', () => {
  test('malformed user-data is retried until the timeout, which reports the parse error', async () => {
    await putFile(
      root,
      '/media/cidata/user-data',
      '#cloud-config\nwrite_files:\n  - path: /run/peerpod/apf.json\n    owner: root\n',
    );
    await assert.rejects(
      provisionFiles({ root, fetchTimeoutMs: 1000, retryIntervalMs: 100 }),
      /no valid user-data from File \(.*\/media\/cidata\/user-data\) within the 1s user-data fetch timeout; last error: failed to parse user data: line 4: field owner not found in write_files entry/,
    );
    assert.deepEqual(await listFiles(root), ['media/cidata/user-data']);
  });

  test('invalid base64 from Azure is a (retried) decoding error', async () => {
    await assert.rejects(
      run('Azure', { rawBody: 'not*base64' }),
      /last error: failed to get user data: failed to decode b64 encoded userData/,
    );
  });

  test('a cidata file over 1 MiB is refused at once, not retried', async () => {
    await putFile(root, '/media/cidata/user-data', Buffer.alloc(MAX_USER_DATA_BYTES + 1, 0x23));
    const started = Date.now();
    await assert.rejects(
      provisionFiles({ root, fetchTimeoutMs: 60_000, retryIntervalMs: 10_000 }),
      /^UserDataError: failed to retrieve cloud config: user-data from .*\/media\/cidata\/user-data is larger than the 1048576-byte limit$/,
    );
    assert.ok(Date.now() - started < 10_000, 'no retry');
    assert.deepEqual(await listFiles(root), ['media/cidata/user-data']);
  });

  test('exactly 1 MiB is accepted', async () => {
    const text = typicalUserData();
    const padded = text + '#'.repeat(MAX_USER_DATA_BYTES - Buffer.byteLength(text));
    await putFile(root, '/media/cidata/user-data', padded);
    const result = await provisionFiles({ root, fetchTimeoutMs: 2000 });
    assert.ok(result.written.some((p) => p.endsWith('apf.json')));
  });

  for (const cloud of Object.keys(clouds) as Cloud[]) {
    test(`${cloud}: user-data over 1 MiB is refused at once`, async () => {
      const huge = `#cloud-config\n${'#'.repeat(MAX_USER_DATA_BYTES)}\n`;
      await assert.rejects(
        run(cloud, { userData: huge }, { retryIntervalMs: 60_000, fetchTimeoutMs: 60_000 }),
        /is larger than the 1048576-byte limit/,
      );
      await assertNothingWritten();
    });
  }
});
