// npm run bench:lifecycle — time from pod create to the first byte of exec output, on the built
// binaries with the local provider (or LIFECYCLE_PROVIDER: aws, azure, ibmcloud or vsphere against
// its fake or simulator): 20 pods one after another, then 20 at once; then what the cloud still has.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { LaunchedSandbox, StepTiming } from '@peerpods/shim-client';
import { LocalNode } from '../src/local-node';
import type { DemoProvider } from '../src/provider-launch';

const binDir = resolve(import.meta.dirname, '../../../dist/bin');
const PODS = Number(process.env.LIFECYCLE_PODS ?? 20);
const PROVIDER = (process.env.LIFECYCLE_PROVIDER ?? 'local') as DemoProvider;

if (process.getuid?.() !== 0) {
  console.error('bench:lifecycle needs root (network namespaces, links, iptables rules); run it as root');
  process.exit(1);
}

interface PodSample {
  /** Client side, from the first call (pod network) to the first chunk of exec output. */
  createToExecMs: number;
  steps: Record<string, number>;
  /** The daemon's log: StartVM's phases. `instance` is the provider's time. */
  instanceMs: number;
  tunnelMs: number;
  proxyMs: number;
  startVmDaemonMs: number;
  stopVmMs: number;
}

async function onePod(node: LocalNode): Promise<PodSample> {
  const steps: Record<string, number> = {};
  const record = (timing: StepTiming) => {
    steps[timing.step] = timing.ms;
  };
  const began = performance.now();
  let pod: LaunchedSandbox | undefined;
  try {
    pod = await node.launchPod({ onStep: record });
    let firstOutput = 0;
    const execStarted = performance.now();
    const result = await node.exec(pod, {
      args: ['echo', 'hello'],
      onStdout: () => {
        firstOutput ||= performance.now();
      },
    });
    if (result.stdout.toString() !== 'hello\n')
      throw new Error(`unexpected output ${JSON.stringify(result.stdout.toString())}`);
    steps.exec = firstOutput - execStarted;
    const phases = node.adaptor.startPhases(pod.state.id);
    if (!phases) throw new Error('the daemon did not log the StartVM phases');
    let stopVmMs = 0;
    const stopped = await node.stopPod(pod, (timing) => {
      if (timing.step === 'StopVM') stopVmMs = timing.ms;
    });
    pod = undefined;
    if (stopped.errors.length > 0) throw new Error(`stop: ${JSON.stringify(stopped.errors)}`);
    return {
      createToExecMs: firstOutput - began,
      steps,
      instanceMs: phases.instanceMs,
      tunnelMs: phases.tunnelMs,
      proxyMs: phases.proxyMs,
      startVmDaemonMs: phases.totalMs,
      stopVmMs,
    };
  } finally {
    if (pod) await node.stopPod(pod).catch(() => {});
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function row(label: string, values: readonly number[]): string {
  return `| ${label} | ${percentile(values, 50).toFixed(0)} | ${percentile(values, 90).toFixed(0)} |`;
}

function table(title: string, samples: readonly PodSample[]): string {
  const pick = (f: (s: PodSample) => number) => samples.map(f);
  const daemonOwn = pick((s) => (s.steps.CreateVM ?? 0) + s.startVmDaemonMs - s.instanceMs);
  return [
    `### ${title} (${samples.length} pods)`,
    '',
    '| ms | p50 | p90 |',
    '| --- | ---: | ---: |',
    row(
      '**create → first exec output**',
      pick((s) => s.createToExecMs),
    ),
    row(
      'pod network (CNI stand-in, client side)',
      pick((s) => s.steps['pod network'] ?? 0),
    ),
    row(
      'CreateVM',
      pick((s) => s.steps.CreateVM ?? 0),
    ),
    row(
      'StartVM (client)',
      pick((s) => s.steps.StartVM ?? 0),
    ),
    row(
      '↳ instance: provider (pod VM namespace, user-data, agent + forwarder booted)',
      pick((s) => s.instanceMs),
    ),
    row(
      '↳ tunnel: daemon (worker-side VXLAN)',
      pick((s) => s.tunnelMs),
    ),
    row(
      '↳ proxy connect: daemon (mTLS to the forwarder)',
      pick((s) => s.proxyMs),
    ),
    row(
      'agent connect + Check + CreateSandbox',
      pick((s) => (s.steps['agent connect'] ?? 0) + (s.steps.Check ?? 0) + (s.steps.CreateSandbox ?? 0)),
    ),
    row(
      'exec → first output',
      pick((s) => s.steps.exec ?? 0),
    ),
    row("daemon's own time (CreateVM + StartVM − instance)", daemonOwn),
    row(
      "provider's time (instance)",
      pick((s) => s.instanceMs),
    ),
    row(
      'StopVM',
      pick((s) => s.stopVmMs),
    ),
    '',
  ].join('\n');
}

/** The reference: starting one of the single executables (`dev-agent --version`), median of 10. */
function binaryStartMs(): number {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    execFileSync(resolve(binDir, 'dev-agent'), ['--version'], { stdio: 'ignore' });
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

const node = await LocalNode.start({ binDir, name: `ppbench-${process.pid}`, provider: PROVIDER });
let leftovers: string[] = [];
try {
  const reference = binaryStartMs();
  await onePod(node); // warm-up: page cache, first iptables use
  const sequential: PodSample[] = [];
  for (let i = 0; i < PODS; i++) sequential.push(await onePod(node));
  const wallStarted = performance.now();
  const concurrent = await Promise.all(Array.from({ length: PODS }, () => onePod(node)));
  const wallMs = performance.now() - wallStarted;
  const p50 = percentile(
    sequential.map((s) => s.createToExecMs),
    50,
  );
  console.log(`## Lifecycle: create → first exec output (${PROVIDER} provider, built binaries)\n`);
  console.log(
    `load average at start: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log(table('one after another', sequential));
  console.log(table('all at once', concurrent));
  console.log(
    `all at once: ${PODS} pods created, exec'd and stopped in ${(wallMs / 1000).toFixed(1)} s of wall time\n`,
  );
  console.log(
    `reference, same run: one single-executable start (dev-agent --version), median of 10: ${reference.toFixed(0)} ms`,
  );
  console.log(
    `single pod create → first exec output p50 ${p50.toFixed(0)} ms = ${(p50 / reference).toFixed(1)}× one binary start; goal ≤ 1000 ms: ${p50 <= 1000 ? 'met' : 'NOT met'}`,
  );
  if (node.cloud) {
    const left = await node.cloud.settledInstances();
    console.log(
      `${node.cloud.name} afterwards: ${left.length} instance(s) left${left.length ? `: ${left.join('; ')}` : ''}`,
    );
  }
} finally {
  leftovers = await node.stop();
}
console.log(leftovers.length === 0 ? 'nothing left behind' : `LEFT BEHIND:\n${leftovers.join('\n')}`);
process.exit(leftovers.length === 0 ? 0 : 1);
