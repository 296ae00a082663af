// What cloud-api-adaptor pays for TLS material: once at startup (load the X.509 library, create the CA
// and the client certificate) and once per pod VM (issue its server certificate).
// Usage: npm run bench -w libs/tls (BENCH_ITERATIONS, default 50; reports the median).
import { performance } from 'node:perf_hooks';
import { CertificateAuthority, createSelfSignedClientCertificate } from '../src/index';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 50);

async function median(run: (i: number) => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

// The first call also loads @peculiar/x509 lazily: one sample, as a process start would see it.
const firstStart = performance.now();
const ca = await CertificateAuthority.create();
const first = performance.now() - firstStart;

const rows: [string, number][] = [
  ['first CertificateAuthority.create() (includes loading @peculiar/x509), 1 run', first],
  [
    `CertificateAuthority.create(), median of ${ITERATIONS}`,
    await median(() => CertificateAuthority.create()),
  ],
  [
    `issueServerCertificate(name), median of ${ITERATIONS}`,
    await median((i) => ca.issueServerCertificate(`podvm-nginx-${i}-1a2b3c4d`)),
  ],
  [
    `createSelfSignedClientCertificate(), median of ${ITERATIONS}`,
    await median(() => createSelfSignedClientCertificate('cloud-api-adaptor')),
  ],
];
for (const [label, ms] of rows) console.log(`${label.padEnd(80)} ${ms.toFixed(2)} ms`);
