import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DEFAULT_INITDATA,
  DEFAULT_INITDATA_TOML,
  decodeInitdata,
  encodeInitdataAnnotation,
  InitdataError,
  MAX_INITDATA_BYTES,
  validateGlobalInitdata,
} from '../src/index';

const toml = (algorithm: string) => `algorithm = "${algorithm}"
version = "0.1.0"

[data]
"aa.toml" = '''
[token_configs]
[token_configs.kbs]
url = "http://kbs.example:8080"
'''

"policy.rego" = '''
package agent_policy
default ExecProcessRequest := false
'''
`;
const b64gz = (text: string | Buffer) => gzipSync(text).toString('base64');

describe('encodeInitdataAnnotation', () => {
  test('is base64 of gzip of the UTF-8 text', () => {
    const raw = toml('sha256');
    const encoded = encodeInitdataAnnotation(raw);
    assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8'), raw);
  });

  test('round-trips through decodeInitdata, non-ASCII included', () => {
    const raw = toml('sha512').replace('[data]\n', '[data]\n"cdh.toml" = "# café ☕"\n');
    const decoded = decodeInitdata(encodeInitdataAnnotation(raw));
    assert.equal(decoded.toml.toString('utf8'), raw);
    assert.equal(decoded.data['cdh.toml'], '# café ☕');
  });
});

describe('decodeInitdata', () => {
  for (const algorithm of ['sha256', 'sha384', 'sha512'] as const) {
    test(`${algorithm}: fields, and the digest of the decompressed bytes`, () => {
      const raw = toml(algorithm);
      const decoded = decodeInitdata(b64gz(raw));
      assert.equal(decoded.algorithm, algorithm);
      assert.equal(decoded.version, '0.1.0');
      assert.deepEqual(Object.keys(decoded.data), ['aa.toml', 'policy.rego']);
      assert.equal(
        decoded.data['aa.toml'],
        '[token_configs]\n[token_configs.kbs]\nurl = "http://kbs.example:8080"\n',
      );
      assert.ok(decoded.toml.equals(Buffer.from(raw)));
      assert.equal(decoded.digest, createHash(algorithm).update(raw).digest('hex'));
      assert.equal(decoded.digest.length, { sha256: 64, sha384: 96, sha512: 128 }[algorithm]);
    });
  }

  test('the digest covers the bytes exactly: a trailing newline changes it', () => {
    const a = decodeInitdata(b64gz(toml('sha256')));
    const b = decodeInitdata(b64gz(`${toml('sha256')}\n`));
    assert.notEqual(a.digest, b.digest);
  });

  test('line breaks in the base64 are ignored, as Go does and as cloud-config adds one', () => {
    const encoded = b64gz(toml('sha384'));
    const wrapped = `${encoded.slice(0, 20)}\r\n${encoded.slice(20)}\n`;
    assert.equal(decodeInitdata(wrapped).digest, decodeInitdata(encoded).digest);
  });

  test('an empty [data] table is fine', () => {
    const decoded = decodeInitdata(b64gz('algorithm = "sha256"\nversion = "0.1.0"\n[data]\n'));
    assert.deepEqual(decoded.data, {});
  });

  const corrupt: { name: string; input: string; message: RegExp }[] = [
    { name: 'empty', input: '', message: /^initdata is empty$/ },
    { name: 'not base64', input: 'this is not base64!', message: /^initdata is not valid base64$/ },
    { name: 'base64 without padding', input: 'YWJj'.concat('ZA'), message: /^initdata is not valid base64$/ },
    { name: 'base64url alphabet', input: '-_-_', message: /^initdata is not valid base64$/ },
    {
      name: 'base64 of plain text',
      input: Buffer.from('algorithm = "sha256"').toString('base64'),
      message: /^initdata is not gzip: /,
    },
    {
      name: 'truncated gzip',
      input: gzipSync(toml('sha256')).subarray(0, 30).toString('base64'),
      message: /^initdata is not gzip: /,
    },
    {
      name: 'gzip of binary',
      input: b64gz(Buffer.from([0xff, 0xfe, 0x00, 0xc3])),
      message: /^initdata is not UTF-8 text$/,
    },
    { name: 'gzip of non-TOML', input: b64gz('algorithm = sha256 ['), message: /^initdata is not TOML: / },
    {
      name: 'no algorithm',
      input: b64gz('version = "0.1.0"\n[data]\n'),
      message: /^initdata has no "algorithm"$/,
    },
    {
      name: 'unknown algorithm',
      input: b64gz('algorithm = "md5"\nversion = "0.1.0"\n[data]\n'),
      message: /^initdata algorithm "md5" is not one of sha256, sha384, sha512$/,
    },
    {
      name: 'algorithm in upper case',
      input: b64gz('algorithm = "SHA256"\nversion = "0.1.0"\n[data]\n'),
      message: /^initdata algorithm "SHA256" is not one of/,
    },
    {
      name: 'no version',
      input: b64gz('algorithm = "sha256"\n[data]\n'),
      message: /^initdata has no "version"$/,
    },
    {
      name: 'version not a string',
      input: b64gz('algorithm = "sha256"\nversion = 1\n[data]\n'),
      message: /^initdata "version" is not a string$/,
    },
    {
      name: 'no data',
      input: b64gz('algorithm = "sha256"\nversion = "0.1.0"\n'),
      message: /^initdata has no \[data\] table$/,
    },
    {
      name: 'data not a table',
      input: b64gz('algorithm = "sha256"\nversion = "0.1.0"\ndata = "x"\n'),
      message: /^initdata "data" is not a table$/,
    },
    {
      name: 'data entry not a string',
      input: b64gz('algorithm = "sha256"\nversion = "0.1.0"\n[data]\n"aa.toml" = 3\n'),
      message: /^initdata data "aa.toml" is not a string$/,
    },
  ];
  for (const { name, input, message } of corrupt) {
    test(`rejects ${name}`, () => {
      assert.throws(
        () => decodeInitdata(input),
        (error: unknown) => error instanceof InitdataError && message.test(error.message),
      );
    });
  }

  test('a gzip bomb stops at the 1 MiB limit', () => {
    assert.equal(MAX_INITDATA_BYTES, 1048576);
    const bomb = b64gz(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces, ~64 KiB compressed
    assert.throws(() => decodeInitdata(bomb), {
      name: 'InitdataError',
      message: 'initdata decompresses to more than 1048576 bytes',
    });
  });

  test('the limit is inclusive and adjustable', () => {
    const raw = toml('sha256');
    const size = Buffer.byteLength(raw);
    assert.equal(decodeInitdata(b64gz(raw), { maxBytes: size }).toml.length, size);
    assert.throws(() => decodeInitdata(b64gz(raw), { maxBytes: size - 1 }), {
      message: `initdata decompresses to more than ${size - 1} bytes`,
    });
  });
});

describe('DEFAULT_INITDATA', () => {
  test('is the specified TOML, byte for byte', () => {
    assert.equal(
      DEFAULT_INITDATA_TOML,
      'algorithm = "sha256"\nversion = "0.1.0"\n\n[data]\n"aa.toml" = \'\'\'\n\'\'\'',
    );
  });

  test('decodes to sha256, 0.1.0 and one empty aa.toml, with the digest of those bytes', () => {
    const decoded = decodeInitdata(DEFAULT_INITDATA);
    assert.equal(decoded.algorithm, 'sha256');
    assert.equal(decoded.version, '0.1.0');
    assert.deepEqual(decoded.data, { 'aa.toml': '' });
    assert.equal(decoded.toml.toString('utf8'), DEFAULT_INITDATA_TOML);
    assert.equal(decoded.digest, createHash('sha256').update(DEFAULT_INITDATA_TOML).digest('hex'));
  });
});

describe('validateGlobalInitdata', () => {
  test('empty means no global initdata', () => {
    assert.equal(validateGlobalInitdata(''), undefined);
  });

  test('a good value is decoded', () => {
    assert.equal(validateGlobalInitdata(DEFAULT_INITDATA)?.algorithm, 'sha256');
  });

  test('a bad value names -initdata and the problem', () => {
    assert.throws(() => validateGlobalInitdata('not base64'), {
      message: 'invalid -initdata (INITDATA): initdata is not valid base64',
    });
    // Raw TOML where base64(gzip(TOML)) belongs: the likeliest mistake.
    assert.throws(() => validateGlobalInitdata(toml('sha256')), {
      message: 'invalid -initdata (INITDATA): initdata is not valid base64',
    });
  });
});
