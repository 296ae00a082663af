import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DEFAULT_INITDATA, DEFAULT_INITDATA_TOML, encodeInitdataAnnotation } from '@peerpods/initdata';
import { cloudConfig } from '@peerpods/providers';
import { provisionFiles, UserDataError } from '../src/index';
import {
  APF_JSON,
  captureLog,
  initdataToml,
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

const read = (vmPath: string) => readFile(join(root, vmPath), 'utf8');
const noProvider = { dmiSysVendor: '', hypervisorVendor: 'none' };

describe('initdata → aa.toml, cdh.toml, policy.rego and initdata.digest', () => {
  for (const algorithm of ['sha256', 'sha384', 'sha512']) {
    test(`${algorithm}: the digest is the hex ${algorithm} of the decompressed TOML`, async () => {
      const toml = initdataToml(algorithm);
      await putFile(root, '/media/cidata/user-data', typicalUserData(toml));
      const result = await provisionFiles({ root, fetchTimeoutMs: 2000 });
      const expected = createHash(algorithm).update(Buffer.from(toml, 'utf8')).digest('hex');
      assert.equal(await read('/run/peerpod/initdata.digest'), expected);
      assert.deepEqual(result.initdata, { origin: 'user-data', algorithm, digest: expected });
      assert.equal(
        await read('/run/peerpod/aa.toml'),
        '[token_configs]\n[token_configs.kbs]\nurl = "http://kbs.example:8080"\n',
      );
      assert.match(
        await read('/run/peerpod/cdh.toml'),
        /^socket = "unix:\/\/\/run\/confidential-containers\/cdh\.sock"\n/,
      );
      assert.equal(
        await read('/run/peerpod/policy.rego'),
        'package agent_policy\ndefault ExecProcessRequest := false\n',
      );
    });
  }

  test('data keys other than the three are ignored and logged', async () => {
    const toml = initdataToml('sha256', `"agent-config.toml" = "x"\n"../../etc/passwd" = "x"\n`);
    await putFile(root, '/media/cidata/user-data', typicalUserData(toml));
    const { log, text } = captureLog();
    await provisionFiles({ root, fetchTimeoutMs: 2000, log });
    assert.match(text(), /\[userdata\/provision\] File: agent-config\.toml is not allowed in initdata\.\n/);
    assert.match(text(), /File: \.\.\/\.\.\/etc\/passwd is not allowed in initdata\./);
    const files = await listFiles(root);
    assert.ok(!files.includes('run/peerpod/agent-config.toml'));
    assert.ok(!files.some((f) => f.startsWith('etc')));
  });

  test("initdata's aa.toml wins over a user-data aa.toml (written after it upstream)", async () => {
    await putFile(
      root,
      '/media/cidata/user-data',
      typicalUserData(initdataToml('sha256'), [{ path: '/run/peerpod/aa.toml', content: 'from user-data' }]),
    );
    await provisionFiles({ root, fetchTimeoutMs: 2000 });
    assert.match(await read('/run/peerpod/aa.toml'), /kbs\.example/);
  });

  test('no initdata anywhere: the default is written and used (sha256 of its TOML)', async () => {
    const { log, text } = captureLog();
    const result = await provisionFiles({ root, probes: noProvider, log });
    assert.equal(result.initdata.origin, 'default');
    assert.equal(await read('/run/peerpod/initdata'), DEFAULT_INITDATA);
    assert.equal(await read('/run/peerpod/aa.toml'), '');
    assert.equal(
      await read('/run/peerpod/initdata.digest'),
      createHash('sha256').update(DEFAULT_INITDATA_TOML).digest('hex'),
    );
    assert.match(text(), /File .*\/run\/peerpod\/initdata not found, using the default initdata\./);
    assert.deepEqual(await listFiles(join(root, 'run/peerpod')), ['aa.toml', 'initdata', 'initdata.digest']);
  });

  test('an initdata file already there (cloud-init wrote it) is used and left as is', async () => {
    const encoded = encodeInitdataAnnotation(initdataToml('sha384'));
    await putFile(root, '/run/peerpod/initdata', encoded);
    const result = await provisionFiles({ root, probes: noProvider });
    assert.equal(result.initdata.origin, 'file');
    assert.equal(result.initdata.algorithm, 'sha384');
    assert.equal(await read('/run/peerpod/initdata'), encoded);
    assert.equal((await stat(join(root, 'run/peerpod/policy.rego'))).mode & 0o777, 0o644);
  });
});

describe('corrupt initdata: a clear error and nothing half-written', () => {
  const corrupt: [string, string, RegExp][] = [
    ['not base64', 'this is *not* base64', /initdata is not valid base64/],
    ['not gzip', Buffer.from('plain text, no gzip').toString('base64'), /initdata is not gzip/],
    ['not TOML', gzipSync('algorithm = \n[[[').toString('base64'), /initdata is not TOML/],
    [
      'an unknown algorithm',
      encodeInitdataAnnotation(initdataToml('md5')),
      /algorithm "md5" is not one of sha256, sha384, sha512/,
    ],
  ];

  for (const [what, encoded, pattern] of corrupt) {
    test(`${what}, in /run/peerpod/initdata: no new file in the directory`, async () => {
      await putFile(root, '/run/peerpod/initdata', encoded);
      const before = await listFiles(root);
      await assert.rejects(provisionFiles({ root, probes: noProvider }), (error: unknown) => {
        assert.ok(error instanceof UserDataError);
        assert.match(
          error.message,
          /^failed to extract initdata hash: error parse initdata \(.*\/run\/peerpod\/initdata\): /,
        );
        assert.match(error.message, pattern);
        return true;
      });
      assert.deepEqual(await listFiles(root), before);
    });
  }

  test('corrupt initdata in user-data: not even apf.json is written', async () => {
    await putFile(
      root,
      '/media/cidata/user-data',
      cloudConfig([
        { path: '/run/peerpod/apf.json', content: APF_JSON },
        { path: '/run/peerpod/initdata', content: gzipSync('[[[').toString('base64') },
      ]),
    );
    const before = await listFiles(root);
    await assert.rejects(
      provisionFiles({ root, fetchTimeoutMs: 2000 }),
      /error parse initdata \(from user-data\): initdata is not TOML/,
    );
    assert.deepEqual(await listFiles(root), before);
  });
});
