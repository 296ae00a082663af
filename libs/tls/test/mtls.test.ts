import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientTlsOptions, serverTlsOptions } from '../src/index';
import { type EchoServer, exchange, startEchoServer } from './support/echo-server';
import { serverName, type TestPki, testPki } from './support/pki';

// The forwarder's side: the pod VM's certificate, and CAA's self-signed client certificate as the only client CA.
describe('mutual TLS between cloud-api-adaptor and the forwarder', () => {
  let pki: TestPki;
  let server: EchoServer;

  before(async () => {
    pki = await testPki();
    server = await startEchoServer(
      serverTlsOptions({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.client.certPem }),
    );
  });
  after(() => server.close());

  function client(overrides: Partial<Parameters<typeof clientTlsOptions>[0]> = {}) {
    return clientTlsOptions({
      ca: pki.ca.certPem,
      cert: pki.client.certPem,
      key: pki.client.keyPem,
      serverName,
      ...overrides,
    });
  }

  // Refusals by the server must leave the application untouched.
  function assertServerUntouched(countBefore: number): void {
    assert.equal(server.secureConnections, countBefore, 'no secureConnection on the server');
  }

  test('a client with the CA, its certificate and the instance name exchanges bytes', async () => {
    const result = await exchange(server.port, client());
    assert.equal(result.error, undefined);
    assert.equal(result.received, 'ping');
    assert.equal(result.protocol, 'TLSv1.3');
  });

  test('also over TLS 1.2', async () => {
    const result = await exchange(server.port, { ...client(), maxVersion: 'TLSv1.2' });
    assert.equal(result.error, undefined);
    assert.equal(result.received, 'ping');
    assert.equal(result.protocol, 'TLSv1.2');
  });

  test('the client refuses a certificate for another name', async () => {
    const result = await exchange(server.port, client({ serverName: 'podvm-other-87654321' }));
    assert.equal(result.error?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(result.received, '');
  });

  test('the client refuses a server certificate from another CA', async () => {
    const other = await startEchoServer(
      serverTlsOptions({
        cert: pki.serverFromOtherCa.certPem,
        key: pki.serverFromOtherCa.keyPem,
        clientCa: pki.client.certPem,
      }),
    );
    try {
      const result = await exchange(other.port, client());
      assert.equal(result.error?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(result.received, '');
      assert.equal(other.secureConnections, 0);
    } finally {
      await other.close();
    }
  });

  test('the server refuses a client without a certificate (TLS 1.3: on the first read)', async () => {
    const count = server.secureConnections;
    const result = await exchange(server.port, client({ cert: undefined, key: undefined }));
    assert.equal(result.error?.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(result.received, '');
    assertServerUntouched(count);
  });

  test('the server refuses a client without a certificate over TLS 1.2 during the handshake', async () => {
    const count = server.secureConnections;
    const result = await exchange(server.port, {
      ...client({ cert: undefined, key: undefined }),
      maxVersion: 'TLSv1.2',
    });
    assert.equal(result.handshakeCompleted, false);
    assert.equal(result.error?.code, 'ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE');
    assertServerUntouched(count);
  });

  test('the server refuses another self-signed client certificate', async () => {
    const count = server.secureConnections;
    const result = await exchange(
      server.port,
      client({ cert: pki.otherClient.certPem, key: pki.otherClient.keyPem }),
    );
    // Node verifies the client certificate after the handshake and closes the socket without an alert.
    assert.equal(result.received, '');
    assertServerUntouched(count);
  });

  test('the server refuses a client certificate issued by another CA', async () => {
    const count = server.secureConnections;
    const other = { cert: pki.clientFromOtherCa.certPem, key: pki.clientFromOtherCa.keyPem };
    const result13 = await exchange(server.port, client(other));
    assert.equal(result13.received, '');
    const result12 = await exchange(server.port, { ...client(other), maxVersion: 'TLSv1.2' });
    assert.equal(result12.handshakeCompleted, false);
    assert.equal(result12.received, '');
    assertServerUntouched(count);
  });

  test('the server refuses a TLS 1.1 client', async () => {
    const count = server.secureConnections;
    const errors = server.clientErrors.length;
    const result = await exchange(server.port, {
      ...client(),
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      // OpenSSL's default security level would stop the client from even offering TLS 1.1.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    assert.equal(result.handshakeCompleted, false);
    assert.equal(result.error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    assert.equal(result.received, '');
    assertServerUntouched(count);
    assert.equal((await server.clientError(errors)).code, 'ERR_SSL_UNSUPPORTED_PROTOCOL');
  });
});
