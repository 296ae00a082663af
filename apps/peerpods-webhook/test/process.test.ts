// peerpods-webhook as a process: its flags, its start-up errors, the probes, the metrics, SIGTERM.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { freePort, parsePromText, promValue, spawnTs, tempDir, waitFor } from '@peerpods/test-support';
import { CertificateAuthority } from '@peerpods/tls';
import { pod, podReview, postTo, writeServingCert } from './support';

const main = resolve(import.meta.dirname, '../src/main.ts');

test('--help explains the webhook and its settings; --version names it', async () => {
  const help = spawnTs(main, ['--help']);
  assert.equal((await once(help.child, 'exit'))[0], 0);
  for (const text of [
    'TARGET_RUNTIMECLASS',
    'POD_VM_EXTENDED_RESOURCE',
    'TLS_MIN_VERSION',
    '--cert-dir',
    '--health-probe-bind-address',
    '--metrics-bind-address',
  ])
    assert.ok(help.output().includes(text), `${text} in:\n${help.output()}`);
  const version = spawnTs(main, ['--version']);
  assert.equal((await once(version.child, 'exit'))[0], 0);
  assert.match(version.output(), /^peerpods-webhook /);
});

test('start-up errors: a bad TLS_MIN_VERSION exits 1 saying "invalid TLS configuration"; no certificate names the file', async () => {
  const dir = tempDir();
  const tls = spawnTs(main, ['--cert-dir', dir, '--port', '0'], { TLS_MIN_VERSION: 'VersionTLS10' });
  assert.equal((await once(tls.child, 'exit'))[0], 1);
  assert.match(tls.output(), /invalid TLS configuration: TLS_MIN_VERSION: "VersionTLS10" is insecure/);
  const suites = spawnTs(main, ['--cert-dir', dir, '--port', '0'], {
    TLS_MIN_VERSION: 'VersionTLS13',
    TLS_CIPHER_SUITES: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  });
  assert.equal((await once(suites.child, 'exit'))[0], 1);
  assert.match(suites.output(), /TLS_CIPHER_SUITES: cipher suites cannot be configured with TLS 1\.3/);
  const noCert = spawnTs(main, ['--cert-dir', dir, '--port', '0', '--health-probe-bind-address', '0']);
  assert.equal((await once(noCert.child, 'exit'))[0], 1);
  assert.match(
    noCert.output(),
    new RegExp(`reading the serving certificate ${join(dir, 'tls.crt')}: ENOENT`),
  );
  const badFlag = spawnTs(main, ['--metrics-bind-address', 'nope']);
  assert.equal((await once(badFlag.child, 'exit'))[0], 2);
  assert.match(badFlag.output(), /invalid value "nope" for -metrics-bind-address/);
});

test("upstream's chart flags; probes and metrics answer; SIGTERM stops it with 0", {
  timeout: 30_000,
}, async () => {
  const certDir = tempDir();
  const ca = await CertificateAuthority.create();
  await writeServingCert(ca, certDir);
  const [port, probePort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const webhook = spawnTs(main, [
    '--cert-dir',
    certDir,
    '--port',
    String(port),
    '--leader-elect',
    `--health-probe-bind-address=127.0.0.1:${probePort}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    '--zap-log-level=info',
  ]);
  try {
    await waitFor(() => webhook.output().includes('serving /mutate-v1-pod'), 'the webhook to serve');
    assert.equal(await (await fetch(`http://127.0.0.1:${probePort}/healthz`)).text(), 'ok');
    assert.equal((await fetch(`http://127.0.0.1:${probePort}/readyz`)).status, 200);
    const answer = await postTo(
      port,
      ca.certPem,
      podReview(pod({ containers: [{ requests: { cpu: '1' } }] }), 'u1'),
    );
    assert.match(answer.body, /"patchType":"JSONPatch"/);
    await postTo(port, ca.certPem, podReview(pod({ runtimeClassName: 'runc' }), 'u2'));
    const samples = parsePromText(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
    assert.equal(
      promValue(samples, 'peerpods_webhook_review_duration_seconds_count', { outcome: 'mutated' }),
      1,
    );
    assert.equal(
      promValue(samples, 'peerpods_webhook_review_duration_seconds_count', { outcome: 'skipped' }),
      1,
    );
    assert.match(webhook.output(), /--leader-elect: not needed/);
  } finally {
    webhook.child.kill('SIGTERM');
  }
  assert.equal((await once(webhook.child, 'exit'))[0], 0, webhook.output());
  await assert.rejects(fetch(`http://127.0.0.1:${probePort}/healthz`), 'the probe port is closed');
});
