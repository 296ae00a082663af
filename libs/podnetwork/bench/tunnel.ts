// Pod networking benchmark, in throwaway namespaces built by the test harness (test/support):
// (1) worker-side setup and teardown time per tunnel (the goal: their sum), and inspect apart, 20
//     sequential tunnels, with a breakdown per netops command (every ip/tc/iptables process is timed by
//     wrapping child_process.execFile, through which netops runs all of them). No other tunnel is
//     alive then, so every setup takes the iptables fast path (one restore, no table read);
// (1b) the same setup + teardown with one other tunnel alive on the worker (in a second pod netns):
//     setup then reads the raw table first (iptables -S), teardown is still one restore;
// (2) TCP throughput (a Node blaster: 64 KiB writes for ~3 s) through the full tunnel (worker + pod VM
//     side) against the same namespaces joined directly over the bridge underlay without VXLAN.
// Usage: npm run bench -w libs/podnetwork (root). BENCH_TUNNELS (20), BENCH_RUNS (3; 0 skips (2)),
// BENCH_SECONDS (3).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import { VxlanPodVmNetwork, VxlanWorkerNetwork } from '../src/index';
import { traces } from '../test/support/checks';
import {
  buildTopology,
  exec,
  inNetns,
  leftoverNamespaces,
  requireRoot,
  Scratch,
} from '../test/support/topology';

const TUNNELS = Number(process.env.BENCH_TUNNELS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const PORT = 7101;

try {
  requireRoot();
} catch {
  console.error(
    'the benchmark needs root: it creates network namespaces, links and iptables rules (run it as root)',
  );
  process.exit(1);
}

// --- command timing: wrap execFile (netops's runCommand calls it for every ip, tc and iptables) ---
type Phase = 'inspect' | 'setup' | 'teardown';
interface CommandTime {
  phase: Phase;
  label: string;
  ms: number;
}
let phase: Phase | undefined;
let records: CommandTime[] = [];

/** A short name for a netops command line: which tool, which operation (namespace prefixes removed). */
function labelOf(file: string, args: readonly string[]): string {
  let rest = [file, ...args];
  if (rest[0] === 'ip' && rest[1] === 'netns' && rest[2] === 'exec') rest = rest.slice(4);
  else if (rest[0] === 'nsenter') rest = rest.slice(2);
  if ((rest[0] === 'ip' || rest[0] === 'tc') && rest[1] === '-n') rest = [rest[0], ...rest.slice(3)];
  const tool = rest[0]!.split('/').at(-1)!;
  if (tool.startsWith('iptables') && tool.endsWith('-restore')) return 'iptables-restore';
  if (tool.startsWith('iptables')) {
    const op = rest.find((a) => /^-[NACDSX]$/.test(a)) ?? rest[1] ?? '';
    return `iptables ${op}`;
  }
  if (rest.includes('-batch')) return `${tool} -batch`;
  const words = rest.slice(1).filter((a) => !a.startsWith('-'));
  return `${tool} ${rest.includes('-json') ? '-json ' : ''}${words.slice(0, 2).join(' ')}`.trim();
}

const childProcess = createRequire(import.meta.url)(
  'node:child_process',
) as typeof import('node:child_process');
const originalExecFile = childProcess.execFile;
const timedExecFile = (...params: unknown[]): unknown => {
  const callbackAt = params.findIndex((p) => typeof p === 'function');
  const current = phase;
  // A process may outlive its phase (teardown does not wait for the link delete's exit): its record
  // goes to the tunnel it started in.
  const sink = records;
  if (current === undefined || callbackAt < 0) {
    return (originalExecFile as (...a: unknown[]) => unknown)(...params);
  }
  const started = performance.now();
  const label = labelOf(params[0] as string, Array.isArray(params[1]) ? (params[1] as string[]) : []);
  const callback = params[callbackAt] as (...r: unknown[]) => void;
  params[callbackAt] = (...result: unknown[]) => {
    // A failing command is its own line: -C/-D that answer "no such rule" are part of the protocol.
    const failedLabel = result[0] === null || result[0] === undefined ? label : `${label} (fails)`;
    sink.push({ phase: current, label: failedLabel, ms: performance.now() - started });
    callback(...result);
  };
  return (originalExecFile as (...a: unknown[]) => unknown)(...params);
};
(childProcess as { execFile: unknown }).execFile = timedExecFile;
syncBuiltinESMExports();

// --- statistics ---
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
const ms = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
const p50p90 = (v: readonly number[]) => `p50 ${ms(quantile(v, 0.5))} ms, p90 ${ms(quantile(v, 0.9))} ms`;

// --- throughput programs (node -e under ip netns exec) ---
function sinkServer(host: string, port: number): string {
  return `require('net').createServer((s)=>{s.resume();s.on('end',()=>s.end());s.on('error',()=>{})}).listen(${port},${JSON.stringify(host)},()=>console.log('up'))`;
}
function blaster(host: string, port: number, seconds: number): string {
  return `const net=require('net');const buf=Buffer.alloc(65536,7);let bytes=0;let t0;const s=net.connect(${port},${JSON.stringify(host)},()=>{t0=process.hrtime.bigint();const stop=Date.now()+${seconds * 1000};const pump=()=>{while(Date.now()<stop){bytes+=buf.length;if(!s.write(buf)){s.once('drain',pump);return}}s.end()};pump()});s.resume();s.on('close',()=>{console.log(JSON.stringify({bytes,secs:Number(process.hrtime.bigint()-t0)/1e9}));process.exit(0)});s.on('error',(e)=>{console.error(e.message);process.exit(1)});setTimeout(()=>{console.error('timeout');process.exit(1)},${(seconds + 10) * 1000})`;
}
async function blast(ns: string, host: string, port: number): Promise<number> {
  const out = await inNetns(ns, process.execPath, ['-e', blaster(host, port, SECONDS)]);
  const { bytes, secs } = JSON.parse(out.trim()) as { bytes: number; secs: number };
  return bytes / 1e6 / secs;
}
async function txBytes(ns: string, dev: string): Promise<number> {
  const { stdout } = await exec('ip', ['-n', ns, '-s', '-json', 'link', 'show', dev]);
  const [link] = JSON.parse(stdout) as { stats64?: { tx?: { bytes?: number } } }[];
  return link?.stats64?.tx?.bytes ?? 0;
}

const scratch = new Scratch();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`${signal}: cleaning up`);
  });
}
const checkInterrupted = () => {
  if (interrupted) throw new Error('interrupted');
};

const rows: [string, string, string][] = [];
let failed = false;
try {
  const topo = await buildTopology(scratch);
  const worker = new VxlanWorkerNetwork(
    { vxlanPort: 4789, vxlanMinId: 555000, hostInterface: undefined },
    { hostNetns: topo.worker.path },
  );
  const sandbox = { sandboxId: 'bench', netnsPath: topo.pod.path };

  // (1) 20 sequential worker tunnels on one pod netns (torn down before the next is set up).
  const inspectMs: number[] = [];
  const setupMs: number[] = [];
  const teardownMs: number[] = [];
  const perTunnel: CommandTime[][] = [];
  for (let i = 0; i < TUNNELS; i++) {
    checkInterrupted();
    records = [];
    perTunnel.push(records);
    const t0 = performance.now();
    phase = 'inspect';
    const podNetwork = await worker.inspect(topo.pod.path);
    const t1 = performance.now();
    phase = 'setup';
    await worker.setup({ ...sandbox, instanceIps: ['198.51.100.2'], podNetwork });
    const t2 = performance.now();
    phase = 'teardown';
    await worker.teardown({ ...sandbox, podNetwork });
    const t3 = performance.now();
    phase = undefined;
    inspectMs.push(t1 - t0);
    setupMs.push(t2 - t1);
    teardownMs.push(t3 - t2);
  }
  // The link delete's process outlives teardown by ~20 ms; these reads take longer, so every record is in.
  const left = [...(await traces(topo.worker)), ...(await traces(topo.pod))];
  if (left.length > 0) throw new Error(`teardown left: ${left.join('; ')}`);
  const goalMs = setupMs.map((s, i) => s + teardownMs[i]!);
  const allMs = goalMs.map((g, i) => g + inspectMs[i]!);
  const goalP50 = quantile(goalMs, 0.5);
  rows.push(
    [
      `worker setup (StartVM; ${TUNNELS} sequential tunnels, no other alive)`,
      p50p90(setupMs),
      'iptables fast path: one restore, no -S',
    ],
    ['worker teardown (StopVM)', p50p90(teardownMs), ''],
    [
      '**worker setup + teardown** (per tunnel)',
      p50p90(goalMs),
      `goal p50 ≤ 50 ms: **${goalP50 <= 50 ? 'met' : 'not met'} (${(goalP50 / 50).toFixed(2)}x the goal)**`,
    ],
    ['worker inspect (CreateVM)', p50p90(inspectMs), 'not part of the goal'],
    ['worker inspect + setup + teardown', p50p90(allMs), 'for completeness'],
  );

  // (1b) The same with one other tunnel alive on the worker, in a second pod netns: setup no longer
  //      finds the chains empty of ours, so it reads the table before its restore.
  checkInterrupted();
  const pod2 = await scratch.netns();
  await exec('ip', [
    '-n',
    topo.worker.name,
    'link',
    'add',
    'veth2',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    pod2.name,
  ]);
  await exec('ip', ['-n', topo.worker.name, 'link', 'set', 'veth2', 'master', 'cni0', 'up']);
  await exec('ip', ['-n', pod2.name, 'addr', 'add', '10.244.7.6/24', 'dev', 'eth0']);
  await exec('ip', ['-n', pod2.name, 'link', 'set', 'eth0', 'up']);
  await exec('ip', ['-n', pod2.name, 'route', 'add', 'default', 'via', '10.244.7.1', 'dev', 'eth0']);
  const otherSandbox = { sandboxId: 'bench-other', netnsPath: pod2.path };
  const otherNetwork = await worker.inspect(pod2.path);
  await worker.setup({ ...otherSandbox, instanceIps: ['198.51.100.2'], podNetwork: otherNetwork });
  const busySetupMs: number[] = [];
  const busyTeardownMs: number[] = [];
  for (let i = 0; i < TUNNELS; i++) {
    checkInterrupted();
    const podNetwork = await worker.inspect(topo.pod.path);
    const t1 = performance.now();
    await worker.setup({ ...sandbox, instanceIps: ['198.51.100.2'], podNetwork });
    const t2 = performance.now();
    await worker.teardown({ ...sandbox, podNetwork });
    busySetupMs.push(t2 - t1);
    busyTeardownMs.push(performance.now() - t2);
  }
  await worker.teardown({ ...otherSandbox, podNetwork: otherNetwork });
  const busyLeft = [...(await traces(topo.worker)), ...(await traces(topo.pod)), ...(await traces(pod2))];
  if (busyLeft.length > 0) throw new Error(`teardown left: ${busyLeft.join('; ')}`);
  const busyMs = busySetupMs.map((s, i) => s + busyTeardownMs[i]!);
  rows.push([
    `worker setup + teardown, one other tunnel alive (${TUNNELS} sequential)`,
    p50p90(busyMs),
    `setup ${p50p90(busySetupMs)} (reads the table: iptables -S + restore); teardown ${p50p90(busyTeardownMs)}`,
  ]);

  // Breakdown: per phase and command label, the per-tunnel sum (median over tunnels) and count.
  for (const p of ['inspect', 'setup', 'teardown'] as const) {
    const phaseMs = p === 'inspect' ? inspectMs : p === 'setup' ? setupMs : teardownMs;
    const labels = [...new Set(perTunnel.flatMap((r) => r.filter((c) => c.phase === p).map((c) => c.label)))];
    const sums = (label: string) =>
      perTunnel.map((r) => r.filter((c) => c.phase === p && c.label === label).reduce((a, c) => a + c.ms, 0));
    const counts = (label: string) =>
      quantile(
        perTunnel.map((r) => r.filter((c) => c.phase === p && c.label === label).length),
        0.5,
      );
    const byCost = labels.sort((a, b) => quantile(sums(b), 0.5) - quantile(sums(a), 0.5));
    const commandSum = perTunnel.map((r) => r.filter((c) => c.phase === p).reduce((a, c) => a + c.ms, 0));
    const processes = quantile(
      perTunnel.map((r) => r.filter((c) => c.phase === p).length),
      0.5,
    );
    rows.push([
      `↳ ${p}: all ${processes} processes`,
      `p50 ${ms(quantile(commandSum, 0.5))} ms of ${ms(quantile(phaseMs, 0.5))} ms`,
      'rest: Node, fs checks, awaits',
    ]);
    for (const label of byCost) {
      const total = quantile(sums(label), 0.5);
      const n = counts(label);
      if (n === 0) {
        const once = perTunnel.flatMap((r) => r.filter((c) => c.phase === p && c.label === label));
        const first = once.reduce((a, c) => a + c.ms, 0);
        rows.push([
          `↳ ${p}: \`${label}\` ×${once.length} in all`,
          `${ms(first)} ms once`,
          'first tunnel only',
        ]);
        continue;
      }
      rows.push([`↳ ${p}: \`${label}\` ×${n}`, `p50 ${ms(total)} ms`, `≈ ${ms(total / n)} ms per process`]);
    }
  }

  // (2) Throughput: worker netns → pod IP through the tunnel into the pod VM's pod netns, against
  //     worker netns → pod VM root netns over the same bridge without VXLAN.
  checkInterrupted();
  if (RUNS > 0) {
    // Reference without the underlay: worker → the pod's own netns (cni0, veth), before the tunnel.
    const podIp = '10.244.7.5';
    await scratch.server(topo.pod.name, sinkServer(podIp, PORT));
    const local: number[] = [];
    for (let run = 0; run < RUNS; run++) local.push(await blast(topo.worker.name, podIp, PORT));
    const podNetwork = await worker.inspect(topo.pod.path);
    await worker.setup({ ...sandbox, instanceIps: ['198.51.100.2'], podNetwork });
    const vm = new VxlanPodVmNetwork({ rootNetns: topo.vm.path, waitTimeoutMs: 5000, waitTickMs: 100 });
    const vmPod = { name: topo.vmPodName, path: `/run/netns/${topo.vmPodName}` };
    try {
      await vm.setup({ podNetwork, podNamespacePath: vmPod.path });
      await scratch.server(vmPod.name, sinkServer(podIp, PORT));
      await scratch.server(topo.vm.name, sinkServer('198.51.100.2', PORT));
      const tunnel: number[] = [];
      const direct: number[] = [];
      const vxlanBefore = await txBytes(topo.pod.name, 'vxlan1');
      for (let run = 0; run < RUNS; run++) {
        checkInterrupted();
        tunnel.push(await blast(topo.worker.name, podIp, PORT));
        direct.push(await blast(topo.worker.name, '198.51.100.2', PORT));
      }
      const vxlanBytes = (await txBytes(topo.pod.name, 'vxlan1')) - vxlanBefore;
      const tunnelMBs = quantile(tunnel, 0.5);
      const directMBs = quantile(direct, 0.5);
      const ratio = (100 * tunnelMBs) / directMBs;
      const runs = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
      rows.push(
        [
          `TCP through the tunnel (worker → ${podIp} in the pod VM's pod netns)`,
          `${tunnelMBs.toFixed(0)} MB/s`,
          `median of ${RUNS} (${runs(tunnel)}); vxlan1 sent ${(vxlanBytes / 1e6).toFixed(0)} MB`,
        ],
        [
          'TCP direct, no VXLAN (worker eth0 → pod VM eth0 over the bridge)',
          `${directMBs.toFixed(0)} MB/s`,
          `median of ${RUNS} (${runs(direct)})`,
        ],
        ['tunnel ÷ direct', `${ratio.toFixed(0)} %`, `goal ≥ 80 %: **${ratio >= 80 ? 'met' : 'not met'}**`],
        [
          'reference: TCP worker → pod netns on the worker (cni0 + veth, before setup)',
          `${quantile(local, 0.5).toFixed(0)} MB/s`,
          `median of ${RUNS} (${runs(local)}); the tunnel path crosses this hop too`,
        ],
      );
    } finally {
      await vm.teardown().catch((e: unknown) => console.error('pod VM teardown:', e));
      await worker.teardown({ ...sandbox, podNetwork }).catch((e: unknown) => console.error('teardown:', e));
    }
  }
} catch (error) {
  failed = true;
  console.error('benchmark failed:', error);
} finally {
  phase = undefined;
  await scratch.cleanup().catch((error: unknown) => {
    failed = true;
    console.error(error);
  });
}

const leftover = await leftoverNamespaces();
if (leftover.length > 0) {
  failed = true;
  console.error(`namespaces left behind: ${leftover.join(', ')}`);
}
if (rows.length > 0) {
  console.log('| figure | value | note |');
  console.log('| --- | ---: | --- |');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}
console.log(`\nnamespaces of this run left: ${leftover.length === 0 ? 'none' : leftover.join(', ')}`);
process.exit(failed ? 1 : 0);
