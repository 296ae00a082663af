import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TtrpcClient, TtrpcServer } from '../src/index';
import { makeTestPki } from './certs';
import { echoMethods } from './echo-service';
import { EchoRequest, EchoResponse } from './generated/interop';
import { tempDir } from './harness';

describe('ttrpc over mutual TLS', () => {
  const dir = tempDir('ttrpc-tls-');
  mkdirSync(join(dir, 'other'));
  const pki = makeTestPki(dir);
  const otherPki = makeTestPki(join(dir, 'other'), 'other-ca');

  async function tlsServer() {
    const server = new TtrpcServer().register('interop.Echo', echoMethods());
    const listener = await server.listen({
      host: '127.0.0.1',
      port: 0,
      tls: {
        cert: pki.serverCert,
        key: pki.serverKey,
        ca: pki.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
    });
    return { server, port: (listener.address() as { port: number }).port };
  }

  test('a client with a certificate from the same CA makes calls', async () => {
    const { server, port } = await tlsServer();
    const client = await TtrpcClient.connect({
      host: '127.0.0.1',
      port,
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' },
    });
    try {
      const payload = EchoRequest.encode(
        EchoRequest.fromPartial({ payload: Buffer.from('secure') }),
      ).finish();
      const response = EchoResponse.decode(await client.call('interop.Echo', 'Echo', payload));
      assert.equal(response.payload.toString(), 'secure');
    } finally {
      client.close();
      await server.close();
    }
  });

  test('a client whose certificate comes from another CA cannot call', async () => {
    const { server, port } = await tlsServer();
    try {
      // TLS 1.3 reports a rejected client certificate after the handshake, so the call is what fails.
      const attempt = TtrpcClient.connect({
        host: '127.0.0.1',
        port,
        tls: { ca: pki.ca, cert: otherPki.clientCert, key: otherPki.clientKey, servername: 'localhost' },
      }).then((client) =>
        client.call('interop.Echo', 'Echo', new Uint8Array(0)).finally(() => client.close()),
      );
      await assert.rejects(attempt);
    } finally {
      await server.close();
    }
  });

  test('a server certificate from an unknown CA is refused by the client', async () => {
    const { server, port } = await tlsServer();
    try {
      await assert.rejects(
        TtrpcClient.connect({
          host: '127.0.0.1',
          port,
          tls: { ca: otherPki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' },
        }),
        /self-signed|unable to verify|certificate/i,
      );
    } finally {
      await server.close();
    }
  });
});
