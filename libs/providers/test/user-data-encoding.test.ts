import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AZURE_USER_DATA_MAX_BASE64_BYTES,
  checkAzureUserDataSize,
  encodeUserData,
} from '../src/user-data-encoding';

const USER_DATA =
  '#cloud-config\n\nwrite_files:\n  - path: /run/peerpod/apf.json\n    content: |\n      {"é": 1}\n';

test('base64 encodes the UTF-8 bytes with padding', () => {
  const encoded = encodeUserData(USER_DATA, 'base64');
  assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
  assert.equal(Buffer.from(encoded, 'base64').toString('utf8'), USER_DATA);
  assert.equal(encodeUserData('ab', 'base64'), 'YWI=');
});

test('raw is the text unchanged', () => {
  assert.equal(encodeUserData(USER_DATA, 'raw'), USER_DATA);
});

test('cidata-iso is a disk image the provider builds, not text', () => {
  assert.throws(() => encodeUserData(USER_DATA, 'cidata-iso'), {
    message: 'cidata-iso user-data is a disk image, not text: the provider builds it with cidataIso',
  });
});

test("Azure's limit is 64 KiB of base64, inclusive", () => {
  assert.equal(AZURE_USER_DATA_MAX_BASE64_BYTES, 65536);
  checkAzureUserDataSize('A'.repeat(65536));
  assert.throws(() => checkAzureUserDataSize('A'.repeat(65537)), {
    message: "user data is 65537 bytes base64-encoded, over Azure's limit of 65536",
  });
  // 49152 bytes of text is exactly 65536 of base64.
  checkAzureUserDataSize(encodeUserData('x'.repeat(49152), 'base64'));
  assert.throws(() => checkAzureUserDataSize(encodeUserData('x'.repeat(49153), 'base64')));
});
