import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseTlsProfile, serverTlsOptions, tls12CipherSuites, tls13CipherSuites } from '../src/index';
import { startEchoServer } from './support/echo-server';
import { buildGoVerify, goVerify } from './support/go-verify';
import { serverName, testPki } from './support/pki';

// Upstream's Go agent-protocol-forwarder and cloud-api-adaptor must accept what this library makes.
describe("Go's crypto/x509 and crypto/tls accept the certificates", () => {
  // Each test awaits the build, so a machine without Go fails every test with the install hint.
  let goBinary: Promise<string>;
  let dir: string;
  const file = (name: string): string => join(dir, name);

  before(async () => {
    goBinary = buildGoVerify();
    goBinary.catch(() => {});
    dir = await mkdtemp(join(tmpdir(), 'peerpods-tls-go-'));
    const pki = await testPki();
    const files: Record<string, string> = {
      'ca.pem': pki.ca.certPem,
      'server.pem': pki.server.certPem,
      'server.key': pki.server.keyPem,
      'client.pem': pki.client.certPem,
      'client.key': pki.client.keyPem,
      'other-ca.pem': pki.otherCa.certPem,
      'other-client.pem': pki.otherClient.certPem,
      'other-client.key': pki.otherClient.keyPem,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(file(name), text);
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    const binary = await goBinary.catch(() => undefined);
    if (binary !== undefined) await rm(dirname(binary), { recursive: true, force: true });
  });

  test('the server certificate verifies against the CA for the instance name', async () => {
    const binary = await goBinary;
    const result = await goVerify(binary, [
      'server',
      file('ca.pem'),
      file('server.pem'),
      file('server.key'),
      serverName,
    ]);
    assert.ok(result.ok, result.output);
    assert.match(result.output, /^ok: server certificate verified/);
  });

  test('but not for another name, nor against another CA', async () => {
    const binary = await goBinary;
    const name = await goVerify(binary, [
      'server',
      file('ca.pem'),
      file('server.pem'),
      file('server.key'),
      'podvm-x',
    ]);
    assert.equal(name.ok, false);
    assert.match(name.output, /certificate is valid for podvm-test-12345678, not podvm-x/);
    const ca = await goVerify(binary, [
      'server',
      file('other-ca.pem'),
      file('server.pem'),
      file('server.key'),
      serverName,
    ]);
    assert.equal(ca.ok, false);
    assert.match(ca.output, /unknown authority/);
  });

  test('the self-signed client certificate is its own root for client authentication', async () => {
    const binary = await goBinary;
    const result = await goVerify(binary, [
      'client',
      file('client.pem'),
      file('client.pem'),
      file('client.key'),
    ]);
    assert.ok(result.ok, result.output);
    const other = await goVerify(binary, [
      'client',
      file('client.pem'),
      file('other-client.pem'),
      file('other-client.key'),
    ]);
    assert.equal(other.ok, false);
    assert.match(other.output, /unknown authority/);
  });

  test('a Go client and a Go server configured like upstream complete mutual TLS with them', async () => {
    const binary = await goBinary;
    const result = await goVerify(binary, [
      'handshake',
      file('ca.pem'),
      file('server.pem'),
      file('server.key'),
      file('client.pem'),
      file('client.key'),
      serverName,
    ]);
    assert.ok(result.ok, result.output);
    assert.match(result.output, /^ok: mutual TLS handshake \(TLS 1\.3\), echoed "ping"/);
  });

  test("every configurable suite is in Go's secure list for TLS 1.2, and the TLS 1.3 ones match Go's", async () => {
    const binary = await goBinary;
    const result = await goVerify(binary, ['suites']);
    assert.ok(result.ok, result.output);
    const go = new Map(result.output.split('\n').map((line) => line.split('\t') as [string, string]));
    for (const name of tls12CipherSuites.keys()) assert.match(go.get(name) ?? 'missing', /TLS 1\.2/, name);
    const goTls13 = [...go].filter(([, versions]) => versions === 'TLS 1.3').map(([name]) => name);
    assert.deepEqual(goTls13.sort(), [...tls13CipherSuites].sort());
  });

  // Upstream's Go cloud-api-adaptor dialling a forwarder built on serverTlsOptions.
  test('a Go client like upstream cloud-api-adaptor connects to a Node server built with serverTlsOptions', async () => {
    const binary = await goBinary;
    const pki = await testPki();
    const server = await startEchoServer(
      serverTlsOptions({ cert: pki.server.certPem, key: pki.server.keyPem, clientCa: pki.client.certPem }),
    );
    try {
      const address = `127.0.0.1:${server.port}`;
      const args = [address, file('ca.pem'), file('client.pem'), file('client.key'), serverName];
      const tls13 = await goVerify(binary, ['dial', ...args, '1.3']);
      assert.ok(tls13.ok, tls13.output);
      assert.match(tls13.output, /^ok: TLS 1\.3 TLS_AES_\w+, echoed "ping"/);
      const stranger = await goVerify(binary, [
        'dial',
        address,
        file('ca.pem'),
        file('other-client.pem'),
        file('other-client.key'),
        serverName,
        '1.2',
      ]);
      assert.equal(stranger.ok, false, stranger.output);
      assert.equal(server.bytesReceived, 4);
    } finally {
      await server.close();
    }
  });

  test('the IANA names Go negotiates are the ones the Node profile maps them to', async () => {
    const binary = await goBinary;
    const pki = await testPki();
    for (const suite of [...tls12CipherSuites.keys()].filter((name) => name.includes('_ECDSA_'))) {
      const profile = parseTlsProfile({ minVersion: 'VersionTLS12', cipherSuites: suite });
      const server = await startEchoServer(
        serverTlsOptions({
          cert: pki.server.certPem,
          key: pki.server.keyPem,
          clientCa: pki.client.certPem,
          profile,
        }),
      );
      try {
        const args = [
          `127.0.0.1:${server.port}`,
          file('ca.pem'),
          file('client.pem'),
          file('client.key'),
          serverName,
        ];
        const result = await goVerify(binary, ['dial', ...args, '1.2', suite]);
        assert.ok(result.ok, `${suite}: ${result.output}`);
        assert.equal(result.output, `ok: TLS 1.2 ${suite}, echoed "ping"`);
      } finally {
        await server.close();
      }
    }
  });
});
