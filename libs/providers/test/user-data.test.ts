import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { cloudConfig, type UserDataFile } from '../src/user-data';

const golden = (name: string) => readFileSync(new URL(`golden/${name}`, import.meta.url), 'utf8');

// apf.json as Go's json.MarshalIndent writes it (4 spaces, no trailing newline).
const APF_JSON = `{
    "pod-network": {
        "podip": "10.244.0.19/24",
        "pod-hw-addr": "0e:8f:62:f3:81:ad",
        "interface": "eth0",
        "worker-node-ip": "10.224.0.4/16",
        "tunnel-type": "vxlan",
        "routes": [
            {
                "dst": "0.0.0.0/0",
                "gw": "10.244.0.1",
                "dev": "eth0"
            }
        ],
        "mtu": 1450,
        "index": 1,
        "vxlan-port": 4789,
        "vxlan-id": 555001,
        "dedicated": false
    },
    "pod-namespace": "default",
    "pod-name": "nginx-866fdb5bfb-b98nw",
    "tls-client-ca": "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
}`;
const AUTH_JSON = '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNzd29yZA=="}}}\n';
// encodeInitdataAnnotation of a small aa.toml, as the daemon writes it.
const INITDATA =
  'H4sIAAAAAAAAAxXLQQqDMBBA0f2cIswmuxiFFhE8iUgZrTUhMVMyY89fsv28T/nkGjVcZjYogYbHE+F3VIlcWvKudx4BljcprYBETvnKaGZjrYVFOR3ltXP5xFNc2mSFu+Z2BtXv1HVpk2n0o0do/g84E9eKbwAAAA==';

const APF_ONLY: UserDataFile[] = [{ path: '/run/peerpod/apf.json', content: APF_JSON }];
const ALL_FILES: UserDataFile[] = [
  ...APF_ONLY,
  { path: '/run/peerpod/auth.json', content: AUTH_JSON },
  { path: '/run/peerpod/initdata', content: INITDATA },
  { path: '/run/peerpod/scratch-space.marker', content: '' },
];

/** What a YAML reader gets back: trailing newlines collapsed to one, empty content absent. */
function readBack(files: readonly UserDataFile[]) {
  return {
    write_files: files.map(({ path, content }) =>
      content === '' ? { path } : { path, content: content.replace(/\n*$/, '\n') },
    ),
  };
}

describe('cloudConfig golden output', () => {
  test('apf.json only', () => {
    assert.equal(cloudConfig(APF_ONLY), golden('apf-only.yaml'));
  });

  test('apf.json, auth.json, initdata and the empty scratch-space marker', () => {
    assert.equal(cloudConfig(ALL_FILES), golden('all-files.yaml'));
  });

  test('starts with the header line and a blank line, ends with one newline', () => {
    const text = cloudConfig(ALL_FILES);
    assert.ok(text.startsWith('#cloud-config\n\nwrite_files:\n'));
    assert.ok(text.endsWith('  - path: /run/peerpod/scratch-space.marker\n'));
    assert.ok(!text.endsWith('\n\n'));
  });
});

describe('cloudConfig parses back as strict {write_files: [{path, content}]}', () => {
  for (const [name, files] of [
    ['apf.json only', APF_ONLY],
    ['all four files', ALL_FILES],
  ] as const) {
    test(name, () => {
      assert.deepEqual(parse(cloudConfig(files)), readBack(files));
    });
  }

  test('JSON content reads back byte-exact plus the one newline `|` adds', () => {
    const parsed = parse(cloudConfig(APF_ONLY)) as { write_files: { content: string }[] };
    assert.equal(parsed.write_files[0]!.content, `${APF_JSON}\n`);
    assert.deepEqual(JSON.parse(parsed.write_files[0]!.content), JSON.parse(APF_JSON));
  });

  // Content with and without its trailing newline, and the edge cases of the `|` block scalar.
  const cases: { content: string; lines: string[]; reads: string | undefined }[] = [
    { content: 'x\n', lines: ['      x'], reads: 'x\n' },
    { content: 'x', lines: ['      x'], reads: 'x\n' },
    { content: 'x\n\n', lines: ['      x', '      '], reads: 'x\n' },
    { content: 'a\n\nb', lines: ['      a', '      ', '      b'], reads: 'a\n\nb\n' },
    { content: '\nx', lines: ['      ', '      x'], reads: '\nx\n' },
    // The limit shared with upstream: YAML takes a first line's leading spaces as block indentation.
    { content: '  nested\n', lines: ['        nested'], reads: 'nested\n' },
    { content: 'tab\tinside', lines: ['      tab\tinside'], reads: 'tab\tinside\n' },
    { content: '\n', lines: ['      '], reads: '' },
    { content: '', lines: [], reads: undefined },
  ];
  for (const { content, lines, reads } of cases) {
    test(`content ${JSON.stringify(content)}`, () => {
      const text = cloudConfig([{ path: '/p', content }]);
      const body = lines.length === 0 ? '' : `    content: |\n${lines.map((l) => `${l}\n`).join('')}`;
      assert.equal(text, `#cloud-config\n\nwrite_files:\n  - path: /p\n${body}`);
      const parsed = parse(text) as { write_files: { path: string; content?: string }[] };
      assert.deepEqual(parsed.write_files, [
        reads === undefined ? { path: '/p' } : { path: '/p', content: reads },
      ]);
    });
  }

  test('no files: an empty write_files, which YAML reads as null', () => {
    assert.equal(cloudConfig([]), '#cloud-config\n\nwrite_files:\n');
    assert.deepEqual(parse(cloudConfig([])), { write_files: null });
  });

  test('a path with a line break is refused', () => {
    assert.throws(
      () => cloudConfig([{ path: '/a\n  - path: /etc/shadow', content: 'x' }]),
      /has a line break/,
    );
  });
});
