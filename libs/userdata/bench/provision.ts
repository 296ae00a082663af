// How long provisioning takes once the process runs: a typical user-data (apf.json, auth.json,
// initdata with aa.toml, cdh.toml, policy.rego) from the cidata file and from a local EC2 IMDSv2
// fake, and parsing alone. Usage: npm run bench -w libs/userdata (BENCH_ITERATIONS, default 200).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCloudConfig, provisionFiles } from '../src/index';
import { startAwsImds } from '../test/fake-metadata';
import { initdataToml, typicalUserData } from '../test/helpers';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const userData = typicalUserData(initdataToml('sha384'));

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const base = await mkdtemp(join(tmpdir(), 'userdata-bench-'));
let n = 0;
async function freshRoot(withCidata: boolean): Promise<string> {
  const root = join(base, String(n++));
  await mkdir(join(root, 'run/peerpod'), { recursive: true });
  if (withCidata) {
    await mkdir(join(root, 'media/cidata'), { recursive: true });
    await writeFile(join(root, 'media/cidata/user-data'), userData);
  }
  return root;
}

const firstStart = performance.now();
await provisionFiles({ root: await freshRoot(true) });
const first = performance.now() - firstStart;

const imds = await startAwsImds({ userData });
const rows: [string, number][] = [
  ['first provision in a fresh process (cidata; loads yaml, TOML)', first],
  ['parseCloudConfig, typical user-data', await median(() => parseCloudConfig(userData))],
  [
    'provisionFiles, cidata file, 7 files written',
    await median(async () => provisionFiles({ root: await freshRoot(true) })),
  ],
  [
    'provisionFiles, EC2 IMDSv2 fake (token PUT + GET), 7 files',
    await median(async () =>
      provisionFiles({
        root: await freshRoot(false),
        endpoints: { aws: imds.url },
        probes: { dmiSysVendor: 'Amazon EC2', hypervisorVendor: 'kvm' },
      }),
    ),
  ],
];
await imds.close();
await rm(base, { recursive: true, force: true });

console.log(
  `user-data: ${Buffer.byteLength(userData)} B\n\n| operation | ms (median of ${ITERATIONS}) |\n| --- | ---: |`,
);
for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(2)} |`);
