import assert from 'node:assert/strict';
import { KeyObject, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type CustomTlsFilePaths,
  clientTlsOptions,
  loadCustomTlsFiles,
  serverTlsOptions,
  TlsConfigError,
} from '../src/index';
import { loadX509 } from '../src/x509-runtime';
import { exchange, startEchoServer } from './support/echo-server';
import { testPki } from './support/pki';

let dir: string;
const file = (name: string): string => join(dir, name);

async function rejectsWith(
  paths: CustomTlsFilePaths,
  flag: string,
  ...fragments: (string | RegExp)[]
): Promise<void> {
  await assert.rejects(loadCustomTlsFiles(paths), (error: unknown) => {
    assert.ok(error instanceof TlsConfigError, String(error));
    assert.equal(error.flag, flag);
    assert.ok(error.message.startsWith(`${flag}: `), error.message);
    for (const fragment of fragments) {
      if (typeof fragment === 'string')
        assert.ok(error.message.includes(fragment), `${error.message} lacks ${fragment}`);
      else assert.match(error.message, fragment);
    }
    return true;
  });
}

/** A self-signed RSA certificate, for the key formats cert-manager and openssl write. */
async function rsaPair(): Promise<{ certPem: string; key: KeyObject }> {
  const x509 = await loadX509();
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { name: 'CN=rsa', keys, signingAlgorithm: algorithm },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), key: KeyObject.from(keys.privateKey) };
}

describe('loadCustomTlsFiles', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerpods-tls-'));
    const pki = await testPki();
    const custom = await pki.ca.issueServerCertificate('podvm-server');
    await writeFile(file('ca.crt'), pki.ca.certPem);
    await writeFile(file('bundle.crt'), pki.ca.certPem + pki.otherCa.certPem);
    await writeFile(file('tls.crt'), custom.certPem);
    await writeFile(file('tls.key'), custom.keyPem);
    await writeFile(file('chain.crt'), custom.certPem + pki.ca.certPem);
    await writeFile(file('client.crt'), pki.client.certPem);
    await writeFile(file('client.key'), pki.client.keyPem);
    await writeFile(file('other.key'), pki.otherClient.keyPem);
    const sec1 = KeyObject.from(
      await webcrypto.subtle.importKey(
        'pkcs8',
        Buffer.from(pki.client.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['sign'],
      ),
    );
    await writeFile(file('client-sec1.key'), sec1.export({ type: 'sec1', format: 'pem' }));
    const rsa = await rsaPair();
    await writeFile(file('rsa.crt'), rsa.certPem);
    await writeFile(file('rsa-pkcs1.key'), rsa.key.export({ type: 'pkcs1', format: 'pem' }));
    await writeFile(file('garbage.pem'), 'not a pem file\n');
    await writeFile(
      file('bad-cert.pem'),
      '-----BEGIN CERTIFICATE-----\nMIIBAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n',
    );
    await writeFile(
      file('encrypted.key'),
      sec1.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('returns nothing when no flag is set; empty strings count as unset', async () => {
    assert.deepEqual(await loadCustomTlsFiles({}), {});
    assert.deepEqual(await loadCustomTlsFiles({ caCertFile: '', certFile: '', keyFile: '' }), {});
  });

  test('reads a CA, a pair and a chain, returning the PEM text as read', async () => {
    const loaded = await loadCustomTlsFiles({
      caCertFile: file('bundle.crt'),
      certFile: file('chain.crt'),
      keyFile: file('tls.key'),
    });
    assert.match(loaded.caCertPem ?? '', /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
    assert.match(loaded.certPem ?? '', /BEGIN CERTIFICATE/);
    assert.match(loaded.keyPem ?? '', /BEGIN PRIVATE KEY/);
    assert.deepEqual(Object.keys(await loadCustomTlsFiles({ caCertFile: file('ca.crt') })), ['caCertPem']);
  });

  test('accepts SEC1 EC keys and PKCS#1 RSA keys', async () => {
    await loadCustomTlsFiles({ certFile: file('client.crt'), keyFile: file('client-sec1.key') });
    await loadCustomTlsFiles({ certFile: file('rsa.crt'), keyFile: file('rsa-pkcs1.key') });
  });

  test('names the flag and the path of a missing file', async () => {
    await rejectsWith(
      { caCertFile: file('nope.crt') },
      '-ca-cert-file',
      file('nope.crt'),
      /cannot read .*ENOENT/,
    );
    await rejectsWith(
      { certFile: file('nope.crt'), keyFile: file('tls.key') },
      '-cert-file',
      file('nope.crt'),
    );
    await rejectsWith(
      { certFile: file('tls.crt'), keyFile: file('nope.key') },
      '-cert-key',
      file('nope.key'),
    );
  });

  test('names the flag and the path of an unreadable file (a directory)', async () => {
    await rejectsWith({ caCertFile: dir }, '-ca-cert-file', dir, /EISDIR/);
  });

  test('rejects files that hold no certificate, or one that does not parse', async () => {
    await rejectsWith(
      { caCertFile: file('garbage.pem') },
      '-ca-cert-file',
      file('garbage.pem'),
      /no PEM certificate/,
    );
    await rejectsWith({ caCertFile: file('tls.key') }, '-ca-cert-file', /no PEM certificate/);
    await rejectsWith(
      { caCertFile: file('bad-cert.pem') },
      '-ca-cert-file',
      file('bad-cert.pem'),
      /cannot be parsed/,
    );
    await rejectsWith(
      { certFile: file('bad-cert.pem'), keyFile: file('tls.key') },
      '-cert-file',
      /cannot be parsed/,
    );
  });

  test('rejects a key file without a usable key', async () => {
    await rejectsWith(
      { certFile: file('tls.crt'), keyFile: file('garbage.pem') },
      '-cert-key',
      file('garbage.pem'),
    );
    await rejectsWith(
      { certFile: file('tls.crt'), keyFile: file('tls.crt') },
      '-cert-key',
      /no unencrypted PEM private key/,
    );
    await rejectsWith(
      { certFile: file('tls.crt'), keyFile: file('encrypted.key') },
      '-cert-key',
      file('encrypted.key'),
    );
  });

  test('rejects a key that does not belong to the certificate', async () => {
    await rejectsWith(
      { certFile: file('client.crt'), keyFile: file('other.key') },
      '-cert-key',
      /does not match the certificate/,
      file('other.key'),
      file('client.crt'),
    );
    await rejectsWith({ certFile: file('rsa.crt'), keyFile: file('tls.key') }, '-cert-key', /does not match/);
  });

  test('requires -cert-file and -cert-key together', async () => {
    await rejectsWith({ certFile: file('tls.crt') }, '-cert-key', /required when -cert-file is set/);
    await rejectsWith({ keyFile: file('tls.key') }, '-cert-file', /required when -cert-key is set/);
  });

  test('custom files drive a real connection with the fixed name podvm-server', async () => {
    const server = await loadCustomTlsFiles({
      caCertFile: file('client.crt'),
      certFile: file('tls.crt'),
      keyFile: file('tls.key'),
    });
    const client = await loadCustomTlsFiles({
      caCertFile: file('ca.crt'),
      certFile: file('client.crt'),
      keyFile: file('client.key'),
    });
    const echo = await startEchoServer(
      serverTlsOptions({ cert: server.certPem!, key: server.keyPem!, clientCa: server.caCertPem! }),
    );
    try {
      const result = await exchange(
        echo.port,
        clientTlsOptions({
          ca: client.caCertPem,
          cert: client.certPem,
          key: client.keyPem,
          serverName: 'podvm-server',
        }),
      );
      assert.equal(result.error, undefined);
      assert.equal(result.received, 'ping');
    } finally {
      await echo.close();
    }
  });
});
