import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { CertificateAuthority } from '../src/index';
import { loadX509 } from '../src/x509-runtime';
import { serverName, testPki } from './support/pki';

const serverAuth = '1.3.6.1.5.5.7.3.1';
const clientAuth = '1.3.6.1.5.5.7.3.2';
const dayMs = 24 * 60 * 60 * 1000;

function validityDays(cert: X509Certificate): number {
  return (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / dayMs;
}

describe('CertificateAuthority', () => {
  test('creates a P-256 CA certificate valid for two years', async () => {
    const { ca } = await testPki();
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, 'CN=cloud-api-adaptor-ca');
    assert.ok(cert.checkIssued(cert), 'self-issued');
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(Math.abs(validityDays(cert) - 730) < 0.01, `validity ${validityDays(cert)} days`);
    assert.equal(ca.notAfter.getTime(), Date.parse(cert.validTo));
  });

  test('keeps its private key to itself', async () => {
    const { ca } = await testPki();
    assert.deepEqual(Object.keys(ca).sort(), ['certPem', 'notAfter']);
    assert.doesNotMatch(JSON.stringify(ca), /PRIVATE KEY/);
  });

  test('honours commonName and validityDays, and rejects a non-positive validity', async () => {
    const ca = await CertificateAuthority.create({ commonName: 'test-ca', validityDays: 3 });
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.subject, 'CN=test-ca');
    assert.ok(Math.abs(validityDays(cert) - 3) < 0.01);
    await assert.rejects(CertificateAuthority.create({ validityDays: 0 }), RangeError);
  });

  test('issues a server certificate for the instance name only, signed with ecdsa-with-SHA256', async () => {
    const { ca, server } = await testPki();
    const cert = new X509Certificate(server.certPem);
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, false);
    assert.equal(cert.subjectAltName, `DNS:${serverName}`);
    assert.equal(cert.checkHost(serverName), serverName);
    assert.equal(cert.checkHost('podvm-other-12345678'), undefined);
    assert.deepEqual(cert.keyUsage, [serverAuth]);
    assert.ok(cert.checkIssued(caCert));
    assert.ok(cert.verify(caCert.publicKey));

    const x509 = await loadX509();
    const parsed = new x509.X509Certificate(server.certPem);
    assert.deepEqual(parsed.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
    const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(keyUsage?.critical, true);
    const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension);
    const caSki = new x509.X509Certificate(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension);
    assert.equal(aki?.keyId, caSki?.keyId);
  });

  test('exports the server key as PKCS#8 P-256 PEM that matches the certificate', async () => {
    const { server } = await testPki();
    assert.match(server.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(server.keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(new X509Certificate(server.certPem).checkPrivateKey(key));
  });

  test('backdates notBefore by five minutes and never outlives the CA', async () => {
    const before = Date.now();
    const ca = await CertificateAuthority.create({ validityDays: 10 });
    const leaf = new X509Certificate((await ca.issueServerCertificate('podvm-a-1')).certPem);
    const caCert = new X509Certificate(ca.certPem);
    const backdateMin = (before - Date.parse(leaf.validFrom)) / 60_000;
    assert.ok(backdateMin >= 4 && backdateMin <= 6, `notBefore is ${backdateMin} min before now`);
    assert.ok(Date.parse(leaf.validTo) <= Date.parse(caCert.validTo));
    const longer = new X509Certificate(
      (await ca.issueServerCertificate('podvm-b-1', { validityDays: 99 })).certPem,
    );
    assert.equal(longer.validTo, caCert.validTo);
  });

  test('uses random positive serials of at most 128 bits', async () => {
    const { ca } = await testPki();
    const serials = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const serial = new X509Certificate((await ca.issueServerCertificate(`podvm-x-${i}`)).certPem)
        .serialNumber;
      assert.ok(BigInt(`0x${serial}`) > 0n);
      assert.ok(BigInt(`0x${serial}`) < 1n << 128n);
      serials.add(serial);
    }
    assert.equal(serials.size, 8);
  });

  test('refuses names that cannot be a DNS SAN', async () => {
    const { ca } = await testPki();
    for (const bad of ['', 'podvm_x', '-podvm', 'podvm-', 'a b', 'p'.repeat(64), 'podvm..x']) {
      await assert.rejects(ca.issueServerCertificate(bad), RangeError, bad);
    }
  });
});

describe('selfSignedClientCertificate', () => {
  test('is a self-signed trust anchor for client authentication', async () => {
    const { client } = await testPki();
    const cert = new X509Certificate(client.certPem);
    assert.equal(cert.subject, 'CN=cloud-api-adaptor');
    assert.equal(cert.ca, true);
    assert.ok(cert.checkIssued(cert));
    assert.ok(cert.verify(cert.publicKey));
    assert.deepEqual(cert.keyUsage, [clientAuth]);
    assert.ok(Math.abs(validityDays(cert) - 730) < 0.01);
    assert.ok(cert.checkPrivateKey(createPrivateKey(client.keyPem)));
    assert.match(client.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);

    const x509 = await loadX509();
    const parsed = new x509.X509Certificate(client.certPem);
    const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
    assert.equal(keyUsage?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign);
    assert.ok(parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.critical, true);
  });

  test('is a different key and certificate from the CA', async () => {
    const { ca, client } = await testPki();
    assert.notEqual(
      new X509Certificate(client.certPem).fingerprint256,
      new X509Certificate(ca.certPem).fingerprint256,
    );
    assert.equal(new X509Certificate(client.certPem).checkIssued(new X509Certificate(ca.certPem)), false);
  });
});

describe('CertificateAuthority saved and loaded (restart survival)', () => {
  test('a loaded CA issues certificates that chain to the same CA certificate', async () => {
    const original = await CertificateAuthority.create({ exportable: true });
    const saved = await original.exportPem();
    assert.match(saved.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const loaded = await CertificateAuthority.load(saved);
    assert.equal(loaded.certPem, original.certPem);
    const issued = new X509Certificate((await loaded.issueServerCertificate('podvm-a-12345678')).certPem);
    const caCert = new X509Certificate(original.certPem);
    assert.ok(issued.checkIssued(caCert));
    assert.ok(issued.verify(caCert.publicKey), 'signed by the saved key');
    // The loaded key is not extractable again.
    await assert.rejects(loaded.exportPem(), /not created exportable/);
  });

  test('a CA not created exportable cannot be saved', async () => {
    const ca = await CertificateAuthority.create();
    await assert.rejects(ca.exportPem(), /not created exportable/);
  });

  test('a key that is not the certificate’s, or a leaf certificate, is refused with the reason', async () => {
    const a = await (await CertificateAuthority.create({ exportable: true })).exportPem();
    const b = await (await CertificateAuthority.create({ exportable: true })).exportPem();
    await assert.rejects(
      CertificateAuthority.load({ certPem: a.certPem, keyPem: b.keyPem }),
      /does not belong to the saved CA certificate/,
    );
    const { server } = await testPki();
    await assert.rejects(
      CertificateAuthority.load({ certPem: server.certPem, keyPem: server.keyPem }),
      /not a CA certificate/,
    );
  });
});
