import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import { cloudConfig } from '@peerpods/providers';
import { buildCli } from '../src/cli';
import { startImdsV2 } from './fake-imds';
import { APF_JSON, AUTH_JSON, putFile, tempRoot } from './helpers';

let root = '';
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const userData = cloudConfig([
  { path: '/run/peerpod/apf.json', content: APF_JSON },
  { path: '/run/peerpod/auth.json', content: AUTH_JSON },
]);
const hermetic = ['-hypervisor-vendor', 'none', '-dmi-sys-vendor', 'none'];

describe('provision-files --help', () => {
  test('documents every override with its env var and default, and the size limit', async () => {
    const run = await runCaptured(buildCli(), ['provision-files', '--help']);
    assert.equal(run.exitCode, 0);
    const help = run.stdout.replace(/\s+/g, ' ');
    for (const [flag, env, fallback] of [
      ['--root', 'PEERPODS_USERDATA_ROOT', 'default /'],
      ['--retry-interval', 'PEERPODS_USERDATA_RETRY_INTERVAL', 'default 5s'],
      ['--azure-imds-url', 'PEERPODS_USERDATA_AZURE_IMDS_URL', 'default http://169.254.169.254'],
      ['--aws-imds-url', 'PEERPODS_USERDATA_AWS_IMDS_URL', 'default http://169.254.169.254'],
      ['--gcp-metadata-url', 'PEERPODS_USERDATA_GCP_METADATA_URL', 'default http://metadata.google.internal'],
      ['--alibaba-metadata-url', 'PEERPODS_USERDATA_ALIBABA_METADATA_URL', 'default http://100.100.100.200'],
      [
        '--ibmcloud-metadata-url',
        'PEERPODS_USERDATA_IBMCLOUD_METADATA_URL',
        'default http://169.254.169.254',
      ],
      ['--dmi-sys-vendor', 'PEERPODS_USERDATA_DMI_SYS_VENDOR', ''],
      ['--hypervisor-vendor', 'PEERPODS_USERDATA_HYPERVISOR_VENDOR', ''],
    ] as const) {
      assert.ok(help.includes(flag), flag);
      assert.ok(help.includes(`env ${env}`), env);
      if (fallback) assert.ok(help.includes(fallback), `${flag} ${fallback}`);
    }
    assert.match(help, /limited to 1048576 bytes, 1 MiB/);
  });
});

describe('provision-files in-process', () => {
  test('-root (Go style) with a cidata file: exit 0, files written, upstream-style log lines on stderr', async () => {
    await putFile(root, '/media/cidata/user-data', userData);
    const run = await runCaptured(buildCli({ env: {} }), ['provision-files', '-root', root, ...hermetic]);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(await readFile(join(root, 'run/peerpod/apf.json'), 'utf8'), `${APF_JSON}\n`);
    assert.match(
      run.stderr,
      /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[userdata\/provision\] provider: File, userDataPath: /m,
    );
    assert.match(run.stderr, /\[userdata\/provision\] Wrote .*\/run\/peerpod\/apf\.json$/m);
  });

  test('env overrides (root, AWS URL, DMI) work, and a flag beats its env var', async () => {
    const aws = await startImdsV2(userData);
    try {
      const env = {
        PEERPODS_USERDATA_ROOT: '/nonexistent-root-that-the-flag-replaces',
        PEERPODS_USERDATA_AWS_IMDS_URL: aws.url,
        PEERPODS_USERDATA_DMI_SYS_VENDOR: 'Amazon EC2',
        PEERPODS_USERDATA_HYPERVISOR_VENDOR: 'none',
      };
      const run = await runCaptured(buildCli({ env }), ['provision-files', '--root', root]);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.match(run.stderr, /provider: AWS, userDataUrl: http:\/\/127\.0\.0\.1:\d+\/latest\/user-data/);
      assert.equal(await readFile(join(root, 'run/peerpod/auth.json'), 'utf8'), `${AUTH_JSON}\n`);
      assert.ok(aws.requests.some((r) => r.method === 'GET' && r.token));
    } finally {
      await aws.close();
    }
  });

  test('bad values are refused with a message naming the flag', async () => {
    const zero = await runCaptured(buildCli({ env: {} }), ['provision-files', '-t', '0', '--root', root]);
    assert.notEqual(zero.exitCode, 0);
    assert.match(zero.stderr, /user-data-fetch-timeout.*whole number of seconds/);
    const url = await runCaptured(buildCli({ env: {} }), [
      'provision-files',
      '--root',
      root,
      '--aws-imds-url',
      'nope',
    ]);
    assert.equal(url.exitCode, 2, 'a bad URL is a usage error');
    assert.match(url.stderr, /-aws-imds-url: "nope" is not an http\(s\) URL/);
    const interval = await runCaptured(buildCli({ env: { PEERPODS_USERDATA_RETRY_INTERVAL: '5' } }), [
      'provision-files',
      '--root',
      root,
    ]);
    assert.equal(interval.exitCode, 2, 'a bad env value is a usage error, as a bad flag is');
    assert.match(interval.stderr, /PEERPODS_USERDATA_RETRY_INTERVAL \(-retry-interval\): time: missing unit/);
  });
});
