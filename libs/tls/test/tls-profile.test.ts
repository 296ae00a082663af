import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultTlsProfile, parseTlsProfile, TlsConfigError, tls12CipherSuites } from '../src/index';

function rejects(input: Parameters<typeof parseTlsProfile>[0], flag: string, ...fragments: RegExp[]): void {
  assert.throws(
    () => parseTlsProfile(input),
    (error: unknown) => {
      assert.ok(error instanceof TlsConfigError, String(error));
      assert.equal(error.flag, flag);
      assert.ok(error.message.startsWith(`${flag}: `), error.message);
      for (const fragment of fragments) assert.match(error.message, fragment);
      return true;
    },
  );
}

describe('parseTlsProfile: -tls-min-version', () => {
  test('defaults to TLS 1.2 and leaves the apf.json field empty', () => {
    for (const minVersion of [undefined, '', '  ']) {
      const profile = parseTlsProfile({ minVersion });
      assert.equal(profile.minVersion, 'TLSv1.2');
      assert.equal(profile.goMinVersion, '');
      assert.deepEqual(profile.cipherSuites, []);
      assert.equal(profile.ciphers, undefined);
    }
    assert.deepEqual(defaultTlsProfile, parseTlsProfile({}));
  });

  test("accepts upstream's Go names and the short forms, and always reports Go's name", () => {
    const cases: [string, string, string][] = [
      ['VersionTLS12', 'TLSv1.2', 'VersionTLS12'],
      ['VersionTLS13', 'TLSv1.3', 'VersionTLS13'],
      ['1.2', 'TLSv1.2', 'VersionTLS12'],
      ['1.3', 'TLSv1.3', 'VersionTLS13'],
      ['TLSv1.2', 'TLSv1.2', 'VersionTLS12'],
      ['TLSv1.3', 'TLSv1.3', 'VersionTLS13'],
    ];
    for (const [input, node, go] of cases) {
      const profile = parseTlsProfile({ minVersion: input });
      assert.equal(profile.minVersion, node, input);
      assert.equal(profile.goMinVersion, go, input);
    }
  });

  test('rejects TLS 1.0 and 1.1 as insecure, naming the flag, the value and the valid values', () => {
    for (const value of ['VersionTLS10', 'VersionTLS11', '1.0', '1.1', 'TLSv1', 'TLSv1.1']) {
      rejects(
        { minVersion: value },
        '-tls-min-version',
        new RegExp(`"${value.replace('.', '\\.')}" is insecure`),
        /VersionTLS12, VersionTLS13/,
      );
    }
  });

  test('rejects anything else', () => {
    for (const value of ['VersionTLS14', 'tls12', 'versiontls12', '2', 'SSLv3']) {
      rejects(
        { minVersion: value },
        '-tls-min-version',
        /unknown TLS version/,
        new RegExp(`"${value}"`),
        /valid values/,
      );
    }
  });
});

describe('parseTlsProfile: -tls-cipher-suites', () => {
  test('accepts every listed suite, from a comma list or an array, keeping order and dropping repeats', () => {
    const all = [...tls12CipherSuites.keys()];
    assert.equal(all.length, 6);
    const fromString = parseTlsProfile({ cipherSuites: all.join(',') });
    assert.deepEqual(fromString.cipherSuites, all);
    const fromArray = parseTlsProfile({ minVersion: 'VersionTLS12', cipherSuites: [...all].reverse() });
    assert.deepEqual(fromArray.cipherSuites, [...all].reverse());
    const spaced = parseTlsProfile({
      cipherSuites: ' TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 , ,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    });
    assert.deepEqual(spaced.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
  });

  test('maps IANA names to OpenSSL names and keeps the TLS 1.3 defaults in Node ciphers', () => {
    const profile = parseTlsProfile({
      cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    });
    assert.equal(
      profile.ciphers,
      'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:' +
        'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    );
    assert.equal(profile.minVersion, 'TLSv1.2');
  });

  test('rejects unknown, insecure and TLS 1.3 suite names, naming the flag and listing valid values', () => {
    for (const name of [
      'TLS_RSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_RC4_128_SHA',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'tls_ecdhe_ecdsa_with_aes_128_gcm_sha256',
      'bogus',
    ]) {
      rejects(
        { cipherSuites: `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,${name}` },
        '-tls-cipher-suites',
        /unsupported or insecure/,
        new RegExp(name),
        /TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/,
      );
    }
    rejects({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] }, '-tls-cipher-suites', /is a TLS 1\.3 suite/);
  });

  test('rejects cipher suites together with a TLS 1.3 minimum, as upstream does', () => {
    for (const minVersion of ['VersionTLS13', '1.3', 'TLSv1.3']) {
      rejects(
        { minVersion, cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
        '-tls-cipher-suites',
        /TLS 1\.3/,
        /-tls-min-version VersionTLS13/,
      );
    }
    assert.equal(parseTlsProfile({ minVersion: 'VersionTLS13', cipherSuites: '' }).minVersion, 'TLSv1.3');
    assert.equal(parseTlsProfile({ minVersion: 'VersionTLS13', cipherSuites: [] }).ciphers, undefined);
  });
});
