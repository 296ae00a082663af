import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { cloudConfig } from '@peerpods/providers';
import { provisionFiles } from '../src/index';
import {
  APF_JSON,
  AUTH_JSON,
  captureLog,
  listFiles,
  putFile,
  removeRoot,
  tempRoot,
  typicalUserData,
} from './helpers';

let root = '';
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

const provisionFromFile = async (userData: string) => {
  await putFile(root, '/media/cidata/user-data', userData);
  const captured = captureLog();
  const result = await provisionFiles({ root, fetchTimeoutMs: 2000, log: captured.log });
  return { result, ...captured };
};
const modeOf = async (vmPath: string) => (await stat(join(root, vmPath))).mode & 0o777;

describe('only the allow-listed paths are written', () => {
  test('allowed files are written, others logged as upstream logs them and skipped', async () => {
    const userData = typicalUserData(undefined, [
      { path: '/etc/shadow', content: 'root::0:0:::::' },
      { path: '/run/peerpod/../../etc/passwd', content: 'x' },
      { path: '/run/peerpod/agent-config.toml', content: 'x' },
      { path: '/run/peerpod/scratch-space.marker', content: '' },
    ]);
    const { result, text } = await provisionFromFile(userData);
    assert.deepEqual(result.skipped, [
      '/etc/shadow',
      '/run/peerpod/../../etc/passwd',
      '/run/peerpod/agent-config.toml',
    ]);
    assert.match(
      text(),
      /\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[userdata\/provision\] File: \/etc\/shadow is not allowed in WriteFiles\.\n/,
    );
    assert.match(text(), /File: \/run\/peerpod\/\.\.\/\.\.\/etc\/passwd is not allowed in WriteFiles\./);
    assert.deepEqual(await listFiles(root), [
      'media/cidata/user-data',
      'run/peerpod/aa.toml',
      'run/peerpod/apf.json',
      'run/peerpod/auth.json',
      'run/peerpod/initdata',
      'run/peerpod/initdata.digest',
      'run/peerpod/scratch-space.marker',
    ]);
    assert.equal(await readFile(join(root, 'run/peerpod/apf.json'), 'utf8'), `${APF_JSON}\n`);
    assert.equal(await readFile(join(root, 'run/peerpod/auth.json'), 'utf8'), `${AUTH_JSON}\n`);
    assert.equal(await readFile(join(root, 'run/peerpod/scratch-space.marker'), 'utf8'), '');
    assert.match(text(), /\[userdata\/provision\] Wrote .*\/run\/peerpod\/apf\.json\n/);
  });

  test('every allow-listed path', async () => {
    const paths = ['aa.toml', 'cdh.toml', 'apf.json', 'auth.json', 'scratch-space.marker'].map(
      (f) => `/run/peerpod/${f}`,
    );
    const { result } = await provisionFromFile(
      cloudConfig(paths.map((path) => ({ path, content: `${path}\n` }))),
    );
    assert.deepEqual(result.skipped, []);
    for (const path of paths.filter((p) => !p.endsWith('aa.toml'))) {
      assert.equal(await readFile(join(root, path), 'utf8'), `${path}\n`);
    }
    // (quirk, as upstream) initdata is processed after write_files, and the default initdata carries
    // an empty aa.toml: without initdata in user-data, a user-data aa.toml ends up empty.
    assert.equal(await readFile(join(root, 'run/peerpod/aa.toml'), 'utf8'), '');
  });

  test('/run/peerpod is created (mkdir -p) when missing', async () => {
    await removeRoot(join(root, 'run'));
    await provisionFromFile(typicalUserData());
    assert.equal(await modeOf('/run/peerpod'), 0o755);
    assert.equal(await readFile(join(root, 'run/peerpod/apf.json'), 'utf8'), `${APF_JSON}\n`);
  });
});

describe('modes and atomic writes', () => {
  test('secrets 0600 (apf.json, auth.json, initdata, aa.toml, cdh.toml), the rest 0644', async () => {
    const { encodeInitdataAnnotation } = await import('@peerpods/initdata');
    const { initdataToml } = await import('./helpers');
    const previous = process.umask(0o077); // a strict umask must not change the public files' modes
    try {
      await provisionFromFile(
        cloudConfig([
          { path: '/run/peerpod/apf.json', content: APF_JSON },
          { path: '/run/peerpod/auth.json', content: AUTH_JSON },
          { path: '/run/peerpod/initdata', content: encodeInitdataAnnotation(initdataToml('sha256')) },
          { path: '/run/peerpod/scratch-space.marker', content: '' },
        ]),
      );
    } finally {
      process.umask(previous);
    }
    const expected: Record<string, number> = {
      '/run/peerpod/apf.json': 0o600,
      '/run/peerpod/auth.json': 0o600,
      '/run/peerpod/initdata': 0o600,
      '/run/peerpod/aa.toml': 0o600,
      '/run/peerpod/cdh.toml': 0o600,
      '/run/peerpod/policy.rego': 0o644,
      '/run/peerpod/initdata.digest': 0o644,
      '/run/peerpod/scratch-space.marker': 0o644,
    };
    for (const [path, mode] of Object.entries(expected)) {
      assert.equal((await modeOf(path)).toString(8), mode.toString(8), path);
    }
  });

  test('an existing file is replaced whole and gets the deliberate mode; no temporary file is left', async () => {
    await putFile(root, '/run/peerpod/auth.json', `${'{"stale": true}'.repeat(1000)}`);
    await provisionFromFile(typicalUserData());
    assert.equal(await readFile(join(root, 'run/peerpod/auth.json'), 'utf8'), `${AUTH_JSON}\n`);
    assert.equal(await modeOf('/run/peerpod/auth.json'), 0o600);
    const leftovers = (await listFiles(root)).filter((f) => /\/\.[^/]*tmp/.test(f));
    assert.deepEqual(leftovers, []);
  });

  test('a path given twice is written once, with the last content (as two writes would leave it)', async () => {
    const { result } = await provisionFromFile(
      cloudConfig([
        { path: '/run/peerpod/auth.json', content: 'first' },
        { path: '/run/peerpod/auth.json', content: 'second' },
      ]),
    );
    assert.equal(await readFile(join(root, 'run/peerpod/auth.json'), 'utf8'), 'second\n');
    assert.equal(result.written.filter((p) => p.endsWith('auth.json')).length, 1);
    assert.deepEqual(
      (await listFiles(root)).filter((f) => f.includes('tmp')),
      [],
    );
  });
});
