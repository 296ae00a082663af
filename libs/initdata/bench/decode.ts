// Initdata work: encode a pod's annotation (daemon, per pod), decode + digest (pod VM boot, daemon
// start), and how fast a gzip bomb is refused. Usage: npm run bench -w libs/initdata
// (BENCH_ITERATIONS, default 2000; median of 5 rounds).
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { DEFAULT_INITDATA, decodeInitdata, encodeInitdataAnnotation } from '../src/index';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = 5;

// A typical initdata: aa.toml, cdh.toml and an agent policy of ~8 KiB.
const policy = Array.from({ length: 200 }, (_, i) => `rule_${i} if { input.x == ${i} }`).join('\n');
const typical = `algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n"aa.toml" = '''\n[token_configs.kbs]\nurl = "http://kbs:8080"\n'''\n"cdh.toml" = '''\nsocket = "unix:///run/confidential-containers/cdh.sock"\n'''\n"policy.rego" = '''\n${policy}\n'''\n`;
const typicalEncoded = encodeInitdataAnnotation(typical);
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)).toString('base64');

const cases: [string, () => unknown, number][] = [
  [
    `encodeInitdataAnnotation (${typical.length} B TOML)`,
    () => encodeInitdataAnnotation(typical),
    ITERATIONS,
  ],
  ['decodeInitdata (default)', () => decodeInitdata(DEFAULT_INITDATA), ITERATIONS],
  [`decodeInitdata (${typical.length} B TOML, sha384)`, () => decodeInitdata(typicalEncoded), ITERATIONS],
  [
    `refuse a 64 MiB gzip bomb (${bomb.length} B base64)`,
    () => {
      try {
        decodeInitdata(bomb);
      } catch {}
    },
    Math.max(1, ITERATIONS / 100),
  ],
];

console.log('| operation | µs per call (median of 5) |\n| --- | ---: |');
for (const [name, run, iterations] of cases) {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) run();
    rounds.push(((performance.now() - start) * 1000) / iterations);
  }
  rounds.sort((a, b) => a - b);
  console.log(`| ${name} | ${rounds[2]!.toFixed(1)} |`);
}
console.log(
  `\nDEFAULT_INITDATA: ${DEFAULT_INITDATA.length} B; typical: ${typical.length} B TOML → ${typicalEncoded.length} B`,
);
