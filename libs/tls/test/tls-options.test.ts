import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientTlsOptions, parseTlsProfile, serverTlsOptions, TlsConfigError } from '../src/index';
import { type EchoServer, exchange, startEchoServer } from './support/echo-server';
import { serverName, type TestPki, testPki } from './support/pki';

describe('clientTlsOptions', () => {
  test('sets the server name, TLS 1.2 minimum, verification and the key material', () => {
    const options = clientTlsOptions({ ca: 'CA', cert: 'CERT', key: 'KEY', serverName: 'podvm-server' });
    assert.deepEqual(options, {
      servername: 'podvm-server',
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
    });
  });

  test('takes version and ciphers from the profile', () => {
    const tls13 = clientTlsOptions({ serverName, profile: parseTlsProfile({ minVersion: 'VersionTLS13' }) });
    assert.equal(tls13.minVersion, 'TLSv1.3');
    assert.equal(tls13.ciphers, undefined);
    const suites = parseTlsProfile({ cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' });
    assert.equal(clientTlsOptions({ serverName, profile: suites }).ciphers, suites.ciphers);
  });

  test('skipVerify turns verification off, and is refused together with a CA like upstream', () => {
    assert.equal(clientTlsOptions({ serverName, skipVerify: true }).rejectUnauthorized, false);
    assert.throws(
      () => clientTlsOptions({ serverName, ca: 'CA', skipVerify: true }),
      (error: unknown) =>
        error instanceof TlsConfigError &&
        error.flag === '-tls-skip-verify' &&
        /root certificates file with the insecure flag/.test(error.message),
    );
  });
});

describe('serverTlsOptions', () => {
  test('requires verified client certificates when a client CA is given', () => {
    const options = serverTlsOptions({ cert: 'CERT', key: 'KEY', clientCa: ['A', 'B'] });
    assert.deepEqual(options, {
      cert: 'CERT',
      key: 'KEY',
      minVersion: 'TLSv1.2',
      ca: ['A', 'B'],
      requestCert: true,
      rejectUnauthorized: true,
    });
  });

  test('asks for no client certificate without a client CA', () => {
    const options = serverTlsOptions({ cert: 'CERT', key: 'KEY', skipVerify: true });
    assert.equal(options.requestCert, false);
    assert.equal(options.ca, undefined);
  });

  test('refuses skipVerify together with a client CA', () => {
    assert.throws(
      () => serverTlsOptions({ cert: 'CERT', key: 'KEY', clientCa: 'CA', skipVerify: true }),
      TlsConfigError,
    );
  });
});

describe('TLS profile on real sockets', () => {
  let pki: TestPki;
  let server: EchoServer;
  const profile = parseTlsProfile({
    minVersion: 'VersionTLS12',
    cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  });

  before(async () => {
    pki = await testPki();
    server = await startEchoServer(
      serverTlsOptions({
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        clientCa: pki.client.certPem,
        profile,
      }),
    );
  });
  after(() => server.close());

  const client = (overrides: Partial<Parameters<typeof clientTlsOptions>[0]> = {}) =>
    clientTlsOptions({
      ca: pki.ca.certPem,
      cert: pki.client.certPem,
      key: pki.client.keyPem,
      serverName,
      profile,
      ...overrides,
    });

  test('cipher suites restrict TLS 1.2 only: TLS 1.3 is still negotiated, as in Go', async () => {
    const result = await exchange(server.port, client());
    assert.equal(result.error, undefined);
    assert.equal(result.protocol, 'TLSv1.3');
    assert.equal(result.received, 'ping');
  });

  test('over TLS 1.2 the configured suite is the one used', async () => {
    const result = await exchange(server.port, { ...client(), maxVersion: 'TLSv1.2' });
    assert.equal(result.error, undefined);
    assert.equal(result.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    assert.equal(result.received, 'ping');
  });

  test('a TLS 1.2 client offering only other suites is refused', async () => {
    const other = parseTlsProfile({ cipherSuites: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' });
    const errors = server.clientErrors.length;
    const result = await exchange(server.port, { ...client({ profile: other }), maxVersion: 'TLSv1.2' });
    assert.equal(result.handshakeCompleted, false);
    assert.equal(result.error?.code, 'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE');
    assert.equal((await server.clientError(errors)).code, 'ERR_SSL_NO_SHARED_CIPHER');
  });

  test('a TLS 1.3 minimum refuses TLS 1.2 clients', async () => {
    const tls13 = await startEchoServer(
      serverTlsOptions({
        cert: pki.server.certPem,
        key: pki.server.keyPem,
        clientCa: pki.client.certPem,
        profile: parseTlsProfile({ minVersion: 'VersionTLS13' }),
      }),
    );
    try {
      const refused = await exchange(tls13.port, {
        ...client({ profile: undefined }),
        maxVersion: 'TLSv1.2',
      });
      assert.equal(refused.error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
      const accepted = await exchange(tls13.port, client({ profile: undefined }));
      assert.equal(accepted.protocol, 'TLSv1.3');
      assert.equal(accepted.received, 'ping');
    } finally {
      await tls13.close();
    }
  });
});
