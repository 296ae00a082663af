// 20 pod VM creates at once against the IBM Cloud fake while it throttles VPC calls (a bucket of 10
// refilled 10 a second, starting empty). Each create costs one VPC write (POST /instances) when its
// addresses come at once; the ideal is what the bucket allows: 20 writes at 10 a second. Reports wall
// time against it and against no throttling, plus duplicates and leaks (both must be 0).
// Run: npm run bench -w libs/provider-ibmcloud
import { resolveOptions } from '@peerpods/config';
import { DEFAULT_IBM_CATALOG, FakeIbmVpc } from '@peerpods/fake-ibm-vpc';
import type { InstanceTypeSpec } from '@peerpods/providers';
import { ibmCloudProviderFactory } from '../src/index';

const COUNT = 20;
const RATE = { capacity: 10, refillPerSecond: 10 };
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
  const fake = await FakeIbmVpc.start(throttled ? { throttle: RATE, throttleStartEmpty: true } : {});
  const { values } = resolveOptions(ibmCloudProviderFactory.options, fake.providerFlags(), {
    IBMCLOUD_API_KEY: DEFAULT_IBM_CATALOG.apiKey,
  });
  // Started before the clock, and before the bucket drains: the lookups are a start-up cost.
  const provider = await ibmCloudProviderFactory.create(values, {
    log: () => {},
    owner: { nodeName: 'bench', clusterId: '' },
  });
  if (throttled) fake.drainThrottle();
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
  const instances = fake.inventory().instances.length;
  const counts = fake.counts();
  await Promise.all(ok.map((id) => provider.deleteInstance(id)));
  const leaks = fake.inventory().instances.length;
  await provider.teardown();
  await fake.stop();
  return {
    wallMs,
    succeeded: ok.length,
    duplicates: instances - new Set(ok).size,
    leaks,
    posts: counts.calls['create instance'] ?? 0,
    throttled: counts.throttled,
    failures,
  };
}

const reference = await round(false);
const throttled = await round(true);
const idealMs = (COUNT / RATE.refillPerSecond) * 1000;
console.log(
  `| ${COUNT} creates at once | wall | vs ideal | succeeded | duplicates | leaks | POSTs | 429 answers |`,
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
console.log(
  `| no throttling (reference) | ${(reference.wallMs / 1000).toFixed(2)} s | — | ${reference.succeeded} | ${reference.duplicates} | ${reference.leaks} | ${reference.posts} | ${reference.throttled} |`,
);
console.log(
  `| ${RATE.refillPerSecond}/s, empty bucket (ideal ${(idealMs / 1000).toFixed(1)} s) | ${(throttled.wallMs / 1000).toFixed(2)} s | ${(throttled.wallMs / idealMs).toFixed(2)}x | ${throttled.succeeded} | ${throttled.duplicates} | ${throttled.leaks} | ${throttled.posts} | ${throttled.throttled} |`,
);
console.log(
  `per VM: ${(throttled.wallMs / COUNT).toFixed(0)} ms throttled, ${(reference.wallMs / COUNT).toFixed(1)} ms not`,
);
for (const failure of [...reference.failures, ...throttled.failures].slice(0, 5))
  console.log(`failure: ${failure}`);
if (throttled.succeeded !== COUNT || throttled.duplicates !== 0 || throttled.leaks !== 0)
  process.exitCode = 1;
