// 50 pod VM creates at once against the EC2 fake while it throttles at EC2's published default
// rates, its buckets starting empty (an account whose other clients used them up). The ideal is
// what the RunInstances bucket allows: 50 instances at 2 a second. Reports wall time against it,
// plus duplicates and leaks (both must be 0). Run: npm run bench -w libs/provider-aws
import { resolveOptions } from '@peerpods/config';
import { EC2_DEFAULT_RATES, FakeEc2 } from '@peerpods/fake-ec2';
import type { InstanceTypeSpec } from '@peerpods/providers';
import { awsProviderFactory } from '../src/index';

// Everything is given: the worker's metadata service (169.254.169.254) is never asked.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
const COUNT = 50;
const spec: InstanceTypeSpec = {
  instanceType: '',
  vcpus: 0,
  memoryMiB: 0,
  gpus: 0,
  image: '',
  multiNic: false,
  volumes: [],
};

async function round(throttled: boolean) {
  const fake = await FakeEc2.start(throttled ? { throttle: { startEmpty: true } } : {});
  const { values } = resolveOptions(
    awsProviderFactory.options,
    {},
    {
      AWS_ACCESS_KEY_ID: 'AKIAFAKEBENCH0000001',
      AWS_SECRET_ACCESS_KEY: 'bench',
      ...fake.clientEnv(),
    },
  );
  // Started before the throttling round's clock: DescribeInstanceTypes is a start-up cost, not a create's.
  const provider = await awsProviderFactory.create(values, {
    log: () => {},
    owner: { nodeName: 'bench', clusterId: '' },
  });
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: COUNT }, (_, index) => {
      const sandboxId = `${String(index).padStart(4, '0')}${'e'.repeat(60)}`;
      return provider.createInstance({
        podName: `bench-${index}`,
        sandboxId,
        instanceName: `podvm-bench-${index}-${sandboxId.slice(0, 8)}`,
        userData: '#cloud-config\n',
        spec,
        signal: AbortSignal.timeout(600_000),
      });
    }),
  );
  const wallMs = performance.now() - started;
  const ok = results.filter((result) => result.status === 'fulfilled').map((result) => result.value.id);
  const failures = results
    .filter((result) => result.status === 'rejected')
    .map((result) => String(result.reason));
  const live = fake.live().length;
  const counts = fake.counts();
  await Promise.all(ok.map((id) => provider.deleteInstance(id)));
  await fake.settled();
  const leaks = fake.live().length;
  await provider.teardown();
  await fake.stop();
  return {
    wallMs,
    succeeded: ok.length,
    duplicates: live - new Set(ok).size,
    leaks,
    runInstancesCalls: counts.calls.RunInstances ?? 0,
    throttled: counts.throttled,
    failures,
  };
}

const reference = await round(false);
const throttled = await round(true);
const idealMs = (COUNT / EC2_DEFAULT_RATES.RunInstances.refillPerSecond) * 1000;
console.log(
  `| ${COUNT} creates at once | wall | vs ideal | succeeded | duplicates | leaks | RunInstances calls | throttled answers |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(
  `| no throttling (reference) | ${(reference.wallMs / 1000).toFixed(2)} s | — | ${reference.succeeded} | ${reference.duplicates} | ${reference.leaks} | ${reference.runInstancesCalls} | ${reference.throttled} |`,
);
console.log(
  `| EC2 default rates, empty buckets (ideal ${(idealMs / 1000).toFixed(1)} s) | ${(throttled.wallMs / 1000).toFixed(2)} s | ${(throttled.wallMs / idealMs).toFixed(2)}x | ${throttled.succeeded} | ${throttled.duplicates} | ${throttled.leaks} | ${throttled.runInstancesCalls} | ${throttled.throttled} |`,
);
for (const failure of [...reference.failures, ...throttled.failures].slice(0, 5))
  console.log(`failure: ${failure}`);
if (throttled.succeeded !== COUNT || throttled.duplicates !== 0 || throttled.leaks !== 0)
  process.exitCode = 1;
