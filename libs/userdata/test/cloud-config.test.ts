import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cloudConfig } from '@peerpods/providers';
import { CloudConfigError, parseCloudConfig } from '../src/index';
import { APF_JSON, AUTH_JSON, typicalUserData } from './helpers';

const rejects = (text: string | Uint8Array, pattern: RegExp) =>
  assert.rejects(parseCloudConfig(text), (error: unknown) => {
    assert.ok(error instanceof CloudConfigError, String(error));
    assert.match(error.message, pattern);
    return true;
  });

describe('parseCloudConfig reads what the daemon writes', () => {
  test("cloudConfig()'s output, content back with one trailing newline", async () => {
    const parsed = await parseCloudConfig(typicalUserData());
    assert.deepEqual(parsed.writeFiles, [
      { path: '/run/peerpod/apf.json', content: `${APF_JSON}\n` },
      { path: '/run/peerpod/auth.json', content: `${AUTH_JSON}\n` },
    ]);
  });

  test('an entry without content (the empty scratch-space marker) has content ""', async () => {
    const parsed = await parseCloudConfig(
      cloudConfig([{ path: '/run/peerpod/scratch-space.marker', content: '' }]),
    );
    assert.deepEqual(parsed.writeFiles, [{ path: '/run/peerpod/scratch-space.marker', content: '' }]);
  });

  test('no files: `write_files:` alone, only the header, an empty document', async () => {
    assert.deepEqual(await parseCloudConfig(cloudConfig([])), { writeFiles: [] });
    assert.deepEqual(await parseCloudConfig('#cloud-config\n'), { writeFiles: [] });
    assert.deepEqual(await parseCloudConfig(''), { writeFiles: [] });
  });

  test('the #cloud-config header is a comment, not a requirement (as upstream)', async () => {
    const parsed = await parseCloudConfig('write_files:\n- path: /run/peerpod/auth.json\n  content: "{}"\n');
    assert.deepEqual(parsed.writeFiles, [{ path: '/run/peerpod/auth.json', content: '{}' }]);
  });

  test('scalars YAML would type are taken as their text, null as ""', async () => {
    const parsed = await parseCloudConfig(
      'write_files:\n- path: /p\n  content: 0644\n- path: /q\n  content: yes\n- path: /r\n  content: ~\n',
    );
    assert.deepEqual(parsed.writeFiles, [
      { path: '/p', content: '0644' },
      { path: '/q', content: 'yes' },
      { path: '/r', content: '' },
    ]);
  });

  test('aliases are followed', async () => {
    const parsed = await parseCloudConfig(
      'write_files:\n- path: /a\n  content: &c hello\n- path: /b\n  content: *c\n',
    );
    assert.deepEqual(parsed.writeFiles, [
      { path: '/a', content: 'hello' },
      { path: '/b', content: 'hello' },
    ]);
  });
});

describe('parseCloudConfig is strict, like yaml.v2 UnmarshalStrict into {write_files: [{path, content}]}', () => {
  test('an unknown top-level key (cloud-init runcmd) is an error naming it and its line', async () => {
    await rejects(
      `${typicalUserData()}runcmd:\n  - [reboot]\n`,
      /line \d+: field runcmd not found in cloud-config/,
    );
  });

  test("an unknown entry key (cloud-init's owner / permissions) is an error", async () => {
    await rejects(
      '#cloud-config\nwrite_files:\n  - path: /run/peerpod/apf.json\n    permissions: "0600"\n    content: "{}"\n',
      /line 4: field permissions not found in write_files entry/,
    );
  });

  test('a duplicate key is an error', async () => {
    await rejects('write_files:\n- path: /a\n  path: /b\n', /keys must be unique/);
  });

  test('wrong shapes are errors', async () => {
    await rejects('- just a list\n', /must be a mapping with write_files, not a list/);
    await rejects('#!/bin/bash\necho hi\n', /must be a mapping with write_files, not a scalar/);
    await rejects('write_files: /run/peerpod/apf.json\n', /write_files must be a list, not a scalar/);
    await rejects('write_files:\n- /run/peerpod/apf.json\n', /entry must be a mapping, not a scalar/);
    await rejects('write_files:\n- path: /a\n  content: [1, 2]\n', /content must be a string, not a list/);
  });

  test('broken YAML, several documents, explicit tags and non-UTF-8 are errors', async () => {
    await rejects('write_files:\n- path: "/a\n', /not valid YAML/);
    await rejects('write_files: []\n---\nwrite_files: []\n', /multiple documents/);
    await rejects('write_files:\n- path: /a\n  content: !!binary aGVsbG8=\n', /explicit tag/);
    await rejects(Buffer.from([0x77, 0x72, 0xff, 0xfe]), /not UTF-8/);
  });
});
