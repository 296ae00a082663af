// The HTTPS side: what controller-runtime answers to requests that are not reviews, the TLS
// profile, and a renewed serving certificate taken up without a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { waitFor } from '@peerpods/test-support';
import { CertificateAuthority, parseTlsProfile } from '@peerpods/tls';
import { postTo, SERVICE_NAME, startTestWebhook, writeServingCert } from './support';

test('requests that are not reviews: code 400 in an AdmissionReview, HTTP 200; other paths 404, other methods 405', async () => {
  const webhook = await startTestWebhook();
  const refused = async (body: string, contentType?: string) => {
    const answer = await webhook.post(body, contentType ? { contentType } : {});
    assert.equal(answer.status, 200);
    const review = JSON.parse(answer.body) as {
      response: { allowed: boolean; status: { code: number; message: string } };
    };
    assert.equal(review.response.allowed, false);
    assert.equal(review.response.status.code, 400);
    return review.response.status.message;
  };
  assert.equal(await refused('{}', 'text/plain'), 'contentType=text/plain, expected application/json');
  assert.equal(await refused(''), 'request body is empty');
  assert.match(await refused('{"request": '), /^unable to decode the request/);
  assert.equal(await refused(JSON.stringify({ request: { uid: 'u' } })), 'there is no content to decode');
  assert.equal(
    await refused(
      JSON.stringify({ request: { uid: 'u', object: { apiVersion: 'apps/v1', kind: 'Deployment' } } }),
    ),
    'unable to decode apps/v1, Kind=Deployment into *v1.Pod',
  );
  assert.equal((await webhook.post('{}', { path: '/validate' })).status, 404);
  assert.equal((await postTo(webhook.port, webhook.ca.certPem, '', { method: 'GET' })).status, 405);
});

function handshake(
  port: number,
  ca: string,
  maxVersion: 'TLSv1.2' | 'TLSv1.3',
): Promise<{ protocol: string | null; subject: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: SERVICE_NAME, maxVersion }, () => {
      const protocol = socket.getProtocol();
      const subject = String(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
      resolve({ protocol, subject });
    });
    socket.on('error', reject);
  });
}

test('TLS_MIN_VERSION=VersionTLS13: a TLS 1.2 client is refused, TLS 1.3 works', async () => {
  const tls = parseTlsProfile(
    { minVersion: 'VersionTLS13' },
    { minVersion: 'TLS_MIN_VERSION', cipherSuites: 'TLS_CIPHER_SUITES' },
  );
  const webhook = await startTestWebhook({ tls });
  assert.equal((await handshake(webhook.port, webhook.ca.certPem, 'TLSv1.3')).protocol, 'TLSv1.3');
  await assert.rejects(handshake(webhook.port, webhook.ca.certPem, 'TLSv1.2'), /protocol version|alert/i);
});

test('a renewed serving certificate is used for new connections without a restart; a broken one is not', async () => {
  const webhook = await startTestWebhook();
  const before = await handshake(webhook.port, webhook.ca.certPem, 'TLSv1.3');
  // cert-manager renews: same CA, new key and certificate.
  await writeServingCert(webhook.ca, webhook.certDir);
  await waitFor(
    () => webhook.logs.some((line) => line.includes('serving certificate reloaded')),
    'the reload',
  );
  const after = await handshake(webhook.port, webhook.ca.certPem, 'TLSv1.3');
  assert.notEqual(after.subject, before.subject, 'a new certificate is served');

  // A key from another pair: refused, and the working certificate stays.
  const other = await (await CertificateAuthority.create()).issueServerCertificate(SERVICE_NAME);
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  writeFileSync(join(webhook.certDir, 'tls.key'), other.keyPem);
  await waitFor(
    () => webhook.logs.some((line) => line.includes('serving certificate not reloaded')),
    'the refusal',
  );
  assert.equal((await handshake(webhook.port, webhook.ca.certPem, 'TLSv1.3')).subject, after.subject);
});
