// The per-pod work of this lib, as CreateVM/StartVM do it: read annotations, name the VM, select the
// instance type from a 100-entry catalog, render and base64 the cloud-config with the four files.
// Usage: npm run bench -w libs/providers (BENCH_ITERATIONS, default 20000; median of 5 rounds).
import { performance } from 'node:perf_hooks';
import {
  cloudConfig,
  encodeUserData,
  instanceName,
  parseSandboxAnnotations,
  selectInstanceType,
  sortInstanceTypes,
} from '../src/index';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20000);
const ROUNDS = 5;

const annotations = {
  'io.kubernetes.cri.sandbox-name': 'nginx-866fdb5bfb-b98nw',
  'io.kubernetes.cri.sandbox-namespace': 'default',
  'io.katacontainers.config.hypervisor.machine_type': '',
  'io.katacontainers.config.hypervisor.default_vcpus': '4',
  'io.katacontainers.config.hypervisor.default_memory': '12288',
  'io.katacontainers.config.hypervisor.default_gpus': '0',
};
const types = sortInstanceTypes(
  Array.from({ length: 100 }, (_, i) => ({
    name: `t${i}`,
    vcpus: 2 ** (i % 6),
    memoryMiB: 1024 * (1 + (i % 64)),
    gpus: i % 10 === 0 ? 1 : 0,
  })),
);
// An apf.json of realistic size: certificates dominate (~3.5 KiB).
const apf = JSON.stringify({ 'pod-network': { podip: '10.244.0.19/24' }, pem: 'x'.repeat(3400) }, null, 4);
const files = [
  { path: '/run/peerpod/apf.json', content: apf },
  { path: '/run/peerpod/auth.json', content: '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz"}}}' },
  { path: '/run/peerpod/initdata', content: 'H4sI'.repeat(200) },
  { path: '/run/peerpod/scratch-space.marker', content: '' },
];

const cases: [string, () => unknown][] = [
  ['parseSandboxAnnotations', () => parseSandboxAnnotations(annotations)],
  ['instanceName', () => instanceName('nginx-866fdb5bfb-b98nw', '4f8c1e2a9b7d6c5e3f1a')],
  [
    'selectInstanceType (100 types)',
    () =>
      selectInstanceType(
        { instanceType: '', vcpus: 4, memoryMiB: 12288, gpus: 0 },
        { defaultType: 't0', types },
      ),
  ],
  [`cloudConfig (4 files, ${apf.length} B apf.json)`, () => cloudConfig(files)],
  ['cloudConfig + base64', () => encodeUserData(cloudConfig(files), 'base64')],
];

console.log('| operation | µs per call (median of 5) |\n| --- | ---: |');
for (const [name, run] of cases) {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < ITERATIONS; i++) run();
    rounds.push(((performance.now() - start) * 1000) / ITERATIONS);
  }
  rounds.sort((a, b) => a - b);
  console.log(`| ${name} | ${rounds[2]!.toFixed(2)} |`);
}
console.log(
  `\nuser-data size: ${cloudConfig(files).length} B, base64 ${encodeUserData(cloudConfig(files), 'base64').length} B`,
);
