// 50 pod VM creates at once against the ARM fake while it throttles at ARM's published default
// rates with empty buckets. Each create costs one write (the VM PUT) and some reads (LRO polls and
// the NIC); the ideal is what the write bucket allows: 50 writes at 10 a second. Reports wall time
// against it, plus duplicates and leaks (both must be 0). Run: npm run bench -w libs/provider-azure
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { resolveOptions } from '@peerpods/config';
import { ARM_DEFAULT_RATES, FakeArm } from '@peerpods/fake-arm';
import type { InstanceTypeSpec } from '@peerpods/providers';
import { azureProviderFactory } from '../src/index';

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
  const fake = await FakeArm.start(throttled ? { throttle: { startEmpty: true } } : {});
  setDefaultCACertificates([...getCACertificates('default'), fake.ca.certPem]);
  const { values } = resolveOptions(
    azureProviderFactory.options,
    {},
    {
      AZURE_CLIENT_ID: 'bench',
      AZURE_CLIENT_SECRET: 'bench',
      ...fake.clientEnv(),
    },
  );
  // Started before the clock: listing sizes is a start-up cost, not a create's.
  const provider = await azureProviderFactory.create(values, {
    log: () => {},
    owner: { nodeName: 'bench', clusterId: '' },
  });
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: COUNT }, (_, index) => {
      const sandboxId = `${String(index).padStart(4, '0')}${'f'.repeat(60)}`;
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
  const vms = fake.inventory().vms.length;
  const counts = fake.counts();
  await Promise.all(ok.map((id) => provider.deleteInstance(id)));
  await fake.settled();
  const leaks = fake.empty() ? 0 : JSON.stringify(fake.inventory());
  await provider.teardown();
  await fake.stop();
  return {
    wallMs,
    succeeded: ok.length,
    duplicates: vms - new Set(ok).size,
    leaks,
    puts: counts.calls['PUT vm'] ?? 0,
    throttled: counts.throttled,
    failures,
  };
}

const reference = await round(false);
const throttled = await round(true);
const idealMs = (COUNT / ARM_DEFAULT_RATES.writes.refillPerSecond) * 1000;
console.log(
  `| ${COUNT} creates at once | wall | vs ideal | succeeded | duplicates | leaks | VM PUTs | 429 answers |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(
  `| no throttling (reference) | ${(reference.wallMs / 1000).toFixed(2)} s | — | ${reference.succeeded} | ${reference.duplicates} | ${reference.leaks} | ${reference.puts} | ${reference.throttled} |`,
);
console.log(
  `| ARM default rates, empty buckets (ideal ${(idealMs / 1000).toFixed(1)} s) | ${(throttled.wallMs / 1000).toFixed(2)} s | ${(throttled.wallMs / idealMs).toFixed(2)}x | ${throttled.succeeded} | ${throttled.duplicates} | ${throttled.leaks} | ${throttled.puts} | ${throttled.throttled} |`,
);
for (const failure of [...reference.failures, ...throttled.failures].slice(0, 5))
  console.log(`failure: ${failure}`);
if (throttled.succeeded !== COUNT || throttled.duplicates !== 0 || throttled.leaks !== 0)
  process.exitCode = 1;
