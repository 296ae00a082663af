/**
 * The real CLI as a separate process (`node --import tsx src/main.ts`), with --root on a temporary
 * directory and a minimal environment, so nothing of the test machine (its /sys, its cloud) leaks in.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { encodeInitdataAnnotation } from '@peerpods/initdata';
import { cloudConfig } from '@peerpods/providers';
import { startImdsV2, startSilent } from './fake-imds';
import { APF_JSON, AUTH_JSON, INITDATA_TOML, listFiles, putFile, tempRoot } from './helpers';

const appDir = resolve(import.meta.dirname, '..');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: appDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

let root = '';
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const fullUserData = cloudConfig([
  { path: '/run/peerpod/apf.json', content: APF_JSON },
  { path: '/run/peerpod/auth.json', content: AUTH_JSON },
  { path: '/run/peerpod/initdata', content: encodeInitdataAnnotation(INITDATA_TOML) },
  { path: '/etc/shadow', content: 'root::0:0:::::' },
]);

test('cidata file: every file, right modes, the digest, the skipped path logged; exit 0', async () => {
  await putFile(root, '/media/cidata/user-data', fullUserData);
  const run = await runCli(['provision-files', '-t', '5', '--root', root]);
  assert.equal(run.code, 0, run.stderr);
  const peerpod = join(root, 'run/peerpod');
  assert.deepEqual(await listFiles(peerpod), [
    'aa.toml',
    'apf.json',
    'auth.json',
    'cdh.toml',
    'initdata',
    'initdata.digest',
    'policy.rego',
  ]);
  assert.equal(await readFile(join(peerpod, 'apf.json'), 'utf8'), `${APF_JSON}\n`);
  assert.equal(
    await readFile(join(peerpod, 'initdata.digest'), 'utf8'),
    createHash('sha384').update(INITDATA_TOML).digest('hex'),
  );
  const mode = async (name: string) => ((await stat(join(peerpod, name))).mode & 0o777).toString(8);
  assert.equal(await mode('apf.json'), '600');
  assert.equal(await mode('auth.json'), '600');
  assert.equal(await mode('cdh.toml'), '600');
  assert.equal(await mode('policy.rego'), '644');
  assert.equal(await mode('initdata.digest'), '644');
  assert.match(run.stderr, /\[userdata\/provision\] File: \/etc\/shadow is not allowed in WriteFiles\.\n/);
  assert.equal(run.stdout, '');
});

test('AWS IMDSv2 chosen through env overrides (DMI "Amazon EC2"), Go-style flags; exit 0', async () => {
  const imds = await startImdsV2(fullUserData);
  try {
    const run = await runCli(['provision-files', '-retry-interval', '100ms'], {
      PEERPODS_USERDATA_ROOT: root,
      PEERPODS_USERDATA_AWS_IMDS_URL: imds.url,
      PEERPODS_USERDATA_DMI_SYS_VENDOR: 'Amazon EC2',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      imds.requests.map((r) => `${r.method} ${r.url}`),
      ['PUT /latest/api/token', 'GET /latest/user-data'],
    );
    assert.equal(await readFile(join(root, 'run/peerpod/auth.json'), 'utf8'), `${AUTH_JSON}\n`);
  } finally {
    await imds.close();
  }
});

test('a metadata service that never answers: -t 2 ends with the timeout error and exit 1', async () => {
  const silent = await startSilent();
  try {
    const run = await runCli([
      'provision-files',
      '-t',
      '2',
      '--retry-interval',
      '200ms',
      '--root',
      root,
      '--hypervisor-vendor',
      'Microsoft Hv',
      '--azure-imds-url',
      silent.url,
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /process-user-data: failed to retrieve cloud config: no valid user-data from Azure \(http:\/\/127\.0\.0\.1:\d+\/metadata\/instance\/compute\/userData\?api-version=2021-01-01&format=text\) within the 2s user-data fetch timeout/,
    );
    assert.deepEqual(await listFiles(root), []);
  } finally {
    await silent.close();
  }
});

test('corrupt initdata: exit 1, a clear error, no file written', async () => {
  await putFile(
    root,
    '/media/cidata/user-data',
    cloudConfig([
      { path: '/run/peerpod/apf.json', content: APF_JSON },
      { path: '/run/peerpod/initdata', content: 'H4sI-not-base64' },
    ]),
  );
  const run = await runCli(['provision-files', '--root', root]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /process-user-data: failed to extract initdata hash: error parse initdata \(from user-data\): initdata is not valid base64/,
  );
  assert.deepEqual(await listFiles(root), ['media/cidata/user-data']);
});
