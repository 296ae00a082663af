import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ProvisionOptions, provisionFiles } from '../src/index';
import {
  type FakeService,
  startAlibabaMetadata,
  startAwsImds,
  startAzureImds,
  startGcpMetadata,
  startIbmMetadata,
} from './fake-metadata';
import { APF_JSON, captureLog, putFile, removeRoot, tempRoot, typicalUserData } from './helpers';

let root = '';
const fakes: FakeService[] = [];
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  await removeRoot(root);
});

async function fake(started: Promise<FakeService>): Promise<FakeService> {
  const service = await started;
  fakes.push(service);
  return service;
}

/** Options that keep every probe and endpoint local: nothing may reach a real address. */
function local(overrides: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
    root,
    fetchTimeoutMs: 10_000,
    retryIntervalMs: 50,
    endpoints: {
      azure: 'http://127.0.0.1:9',
      aws: 'http://127.0.0.1:9',
      gcp: 'http://127.0.0.1:9',
      alibaba: 'http://127.0.0.1:9',
      ibmcloud: 'http://127.0.0.1:9',
    },
    probes: { dmiSysVendor: '', hypervisorVendor: 'none' },
    ...overrides,
  };
}

const apfWritten = async () => readFile(join(root, 'run/peerpod/apf.json'), 'utf8');

describe('the fakes enforce what the real services enforce', () => {
  test('requests without the required header are refused', async () => {
    const azure = await fake(startAzureImds({ userData: 'x' }));
    const gcp = await fake(startGcpMetadata({ userData: 'x' }));
    const aws = await fake(startAwsImds({ userData: 'x' }));
    const az = await fetch(
      `${azure.url}/metadata/instance/compute/userData?api-version=2021-01-01&format=text`,
    );
    assert.equal(az.status, 400);
    assert.equal((await fetch(`${gcp.url}/computeMetadata/v1/instance/attributes/user-data`)).status, 403);
    assert.equal((await fetch(`${aws.url}/latest/user-data`)).status, 401);
    assert.equal((await fetch(`${aws.url}/latest/api/token`, { method: 'PUT' })).status, 400);
  });
});

describe('each source, chosen by the probes, fetched the way its service requires', () => {
  test('Azure (hypervisor "Microsoft Hv"): GET with Metadata: true, base64 body', async () => {
    const azure = await fake(startAzureImds({ userData: typicalUserData() }));
    const { log, text } = captureLog();
    const result = await provisionFiles(
      local({ endpoints: { azure: azure.url }, probes: { hypervisorVendor: 'Microsoft Hv' }, log }),
    );
    assert.equal(result.source?.name, 'Azure');
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    const [request] = azure.userDataRequests();
    assert.equal(request?.headers.metadata, 'true');
    assert.equal(request?.url, '/metadata/instance/compute/userData?api-version=2021-01-01&format=text');
    assert.match(
      text(),
      /\[userdata\/provision\] provider: Azure, userDataUrl: http:\/\/127\.0\.0\.1:\d+\/metadata\/instance\/compute\/userData\?api-version=2021-01-01&format=text\n/,
    );
  });

  test('AWS (DMI "Amazon EC2"): IMDSv2 token PUT, then GET with the token, raw body', async () => {
    const aws = await fake(startAwsImds({ userData: typicalUserData() }));
    const result = await provisionFiles(
      local({ endpoints: { aws: aws.url }, probes: { dmiSysVendor: 'Amazon EC2' } }),
    );
    assert.equal(result.source?.name, 'AWS');
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    const [put, get] = aws.requests;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.url, '/latest/api/token');
    assert.equal(put?.headers['x-aws-ec2-metadata-token-ttl-seconds'], '60');
    assert.equal(get?.method, 'GET');
    assert.ok(get?.headers['x-aws-ec2-metadata-token'], 'the GET carries the token');
  });

  test('AWS falls back to IMDSv1 when the token PUT is refused', async () => {
    const aws = await fake(startAwsImds({ userData: typicalUserData(), tokens: 'unavailable' }));
    const { log, text } = captureLog();
    await provisionFiles(local({ endpoints: { aws: aws.url }, probes: { dmiSysVendor: 'Amazon EC2' }, log }));
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    const [get] = aws.userDataRequests();
    assert.equal(get?.headers['x-aws-ec2-metadata-token'], undefined);
    assert.match(text(), /IMDSv2 token request failed, falling back to IMDSv1: endpoint .* 403/);
  });

  test('AWS falls back to IMDSv1 when the token PUT never answers (token timeout)', async () => {
    const aws = await fake(startAwsImds({ userData: typicalUserData(), tokens: 'hang' }));
    await provisionFiles(
      local({ endpoints: { aws: aws.url }, probes: { dmiSysVendor: 'Amazon EC2' }, awsTokenTimeoutMs: 200 }),
    );
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
  });

  test('GCP (hypervisor KVM + the metadata probe answers): Metadata-Flavor: Google, base64 body', async () => {
    const gcp = await fake(startGcpMetadata({ userData: typicalUserData() }));
    const result = await provisionFiles(
      local({ endpoints: { gcp: gcp.url }, probes: { hypervisorVendor: 'KVMKVMKVM' } }),
    );
    assert.equal(result.source?.name, 'GCP');
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    assert.deepEqual(
      gcp.requests.map((r) => [r.url, r.headers['metadata-flavor']]),
      [
        ['/computeMetadata/v1/instance', 'Google'],
        ['/computeMetadata/v1/instance/attributes/user-data', 'Google'],
      ],
    );
  });

  test('Alibaba (DMI "Alibaba Cloud", KVM but no GCP metadata server): raw body', async () => {
    const alibaba = await fake(startAlibabaMetadata({ userData: typicalUserData() }));
    const result = await provisionFiles(
      local({
        endpoints: { alibaba: alibaba.url },
        probes: { dmiSysVendor: 'Alibaba Cloud', hypervisorVendor: 'kvm' },
      }),
    );
    assert.equal(result.source?.name, 'AlibabaCloud');
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
  });

  test('IBM Cloud (KVM, no GCP metadata server, the VPC metadata service hands out a token): user_data as given', async () => {
    const ibm = await fake(startIbmMetadata({ userData: typicalUserData() }));
    const result = await provisionFiles(
      local({ endpoints: { ibmcloud: ibm.url }, probes: { dmiSysVendor: '', hypervisorVendor: 'kvm' } }),
    );
    assert.equal(result.source?.name, 'IBMCloud');
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    assert.deepEqual(
      ibm.requests.map((r) => [
        r.method,
        r.url.split('?')[0],
        r.headers['metadata-flavor'] ?? r.headers.authorization,
      ]),
      [
        ['PUT', '/instance_identity/v1/token', 'ibm'],
        ['PUT', '/instance_identity/v1/token', 'ibm'],
        ['GET', '/metadata/v1/instance/initialization', 'Bearer ibm-identity-token'],
      ],
      'the probe, then a fresh token for the fetch',
    );
  });

  test('not KVM: the IBM Cloud metadata service is never asked', async () => {
    const ibm = await fake(startIbmMetadata({ userData: typicalUserData() }));
    const result = await provisionFiles(local({ endpoints: { ibmcloud: ibm.url } }));
    assert.equal(result.source, undefined);
    assert.deepEqual(ibm.requests, []);
  });

  test('the cidata file comes first, even on a VM that looks like Azure', async () => {
    const azure = await fake(startAzureImds({ userData: '#cloud-config\n' }));
    await putFile(root, '/media/cidata/user-data', typicalUserData());
    const { log, text } = captureLog();
    const result = await provisionFiles(
      local({ endpoints: { azure: azure.url }, probes: { hypervisorVendor: 'Microsoft Hv' }, log }),
    );
    assert.equal(result.source?.name, 'File');
    assert.equal(azure.requests.length, 0);
    assert.equal(await apfWritten(), `${APF_JSON}\n`);
    assert.match(text(), /provider: File, userDataPath: .*\/media\/cidata\/user-data\n/);
  });

  test('user-data not there yet (404) is retried at the fixed interval until it is', async () => {
    const alibaba = await fake(
      startAlibabaMetadata({ userData: typicalUserData(), behaviour: 'late', lateBy: 2 }),
    );
    const { log, text } = captureLog();
    await provisionFiles(
      local({ endpoints: { alibaba: alibaba.url }, probes: { dmiSysVendor: 'Alibaba Cloud' }, log }),
    );
    assert.equal(alibaba.userDataRequests().length, 3);
    assert.match(
      text(),
      /Retry attempt 1: failed to get user data: endpoint .* returned != 200 status code: 404/,
    );
    assert.match(text(), /Retry attempt 2: /);
  });

  test('no provider matches: initdata only (the default), as upstream', async () => {
    const { log, text } = captureLog();
    const result = await provisionFiles(local({ log }));
    assert.equal(result.source, undefined);
    assert.equal(result.initdata.origin, 'default');
    assert.match(text(), /unsupported user data provider, we extract and calculate initdata hash only\./);
  });

  test('probes read from the root: a fake /sys and /proc select Azure', async () => {
    const azure = await fake(startAzureImds({ userData: typicalUserData() }));
    await putFile(root, '/proc/cpuinfo', 'processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n');
    await putFile(root, '/sys/bus/vmbus/drivers/.keep', '');
    const result = await provisionFiles(local({ endpoints: { azure: azure.url }, probes: {} }));
    assert.equal(result.source?.name, 'Azure');
  });
});

describe('VMware guestinfo (DMI "VMware, Inc.", read with vmware-rpctool as cloud-init does)', () => {
  const rpctool = (userData: string | undefined, encoding: string | undefined) =>
    putFile(
      root,
      '/usr/bin/vmware-rpctool',
      [
        '#!/bin/sh',
        'case "$1" in',
        userData === undefined ? '' : `  "info-get guestinfo.userdata") printf '%s' '${userData}' ;;`,
        encoding === undefined
          ? ''
          : `  "info-get guestinfo.userdata.encoding") printf '%s' '${encoding}' ;;`,
        '  *) echo "No value found" >&2; exit 1 ;;',
        'esac',
        '',
      ].join('\n'),
      0o755,
    );

  for (const [encoding, encode] of [
    ['base64', (text: string) => Buffer.from(text).toString('base64')],
    ['gzip+base64', (text: string) => gzipSync(Buffer.from(text)).toString('base64')],
  ] as const) {
    test(`${encoding}: decoded, and the files written`, async () => {
      await rpctool(encode(typicalUserData()), encoding);
      const result = await provisionFiles(
        local({ probes: { dmiSysVendor: 'VMware, Inc.', hypervisorVendor: 'none' } }),
      );
      assert.equal(result.source?.name, 'VMware');
      assert.equal(await apfWritten(), `${APF_JSON}\n`);
    });
  }

  test('no vmware-rpctool: a permanent error that says to install open-vm-tools', async () => {
    await assert.rejects(
      provisionFiles(local({ probes: { dmiSysVendor: 'VMware, Inc.', hypervisorVendor: 'none' } })),
      /vmware-rpctool is not installed \(open-vm-tools\)/,
    );
  });
});
