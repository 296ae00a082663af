// npm run bench:libvirt — a pod on the libvirt provider under QEMU TCG, from pod create to agent ready,
// against plain qemu-system-x86_64 booting the same image to the same point (the forwarder listening
// with TLS). Also the image build, from an empty cache and from a warm one. Needs root; about 10 min.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { apfSeed, apfTlsFields, BareQemu, USER_NETWORK_POD } from '@peerpods/podvm-image-test';
import type { LaunchedSandbox } from '@peerpods/shim-client';
import type { LibvirtCloud } from '../src/libvirt-cloud';
import { LocalNode } from '../src/local-node';
import { buildPodvmImage } from '../src/podvm-image';

const binDir = resolve(import.meta.dirname, '../../../dist/bin');
const BOOTS = Number(process.env.LIBVIRT_BOOTS ?? 3);
const COLD_BUILDS = Number(process.env.LIBVIRT_COLD_BUILDS ?? 3);
const CACHED_BUILDS = Number(process.env.LIBVIRT_CACHED_BUILDS ?? 3);

// The journal is on the console (images/podvm journald.conf.d), so both runs see the same lines.
const AGENT_SERVING = /dev-agent\[\d+\]: .* serving grpc\.AgentService/;
const FORWARDER_LISTENING = /agent-protocol-forwarder\[\d+\]: .*listening on \S+:15150 \(TLS\)/;
// As the daemon's domains run (provider-libvirt: 2 vCPUs and 1024 MiB here, <cpu mode='maximum'/>).
const VCPUS = 2;
const MEMORY_MIB = 1024;
const CPU = 'max';

if (process.getuid?.() !== 0) {
  console.error(
    'bench:libvirt needs root (debootstrap, loop devices, network namespaces, libvirtd); run it as root',
  );
  process.exit(1);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timedBuild(output: string, cache: string): Promise<number> {
  const started = performance.now();
  await buildPodvmImage(binDir, output, { cache });
  return performance.now() - started;
}

interface BareSample {
  agentMs: number;
  listeningMs: number;
}

async function bareBoot(image: string, dir: string, run: number): Promise<BareSample> {
  const seed = join(dir, `seed-${run}.iso`);
  const name = `podvm-bench-${run}`;
  writeFileSync(
    seed,
    apfSeed(
      {
        'pod-network': USER_NETWORK_POD,
        'pod-namespace': 'default',
        'pod-name': 'bench',
        ...(await apfTlsFields(name)),
      },
      name,
    ),
  );
  const qemu = BareQemu.start({
    image,
    format: 'qcow2',
    seed,
    consoleFile: join(dir, `console-${run}.log`),
    vcpus: VCPUS,
    memoryMiB: MEMORY_MIB,
    cpu: CPU,
    network: 'routed',
  });
  try {
    const agentMs = await qemu.waitForConsole(AGENT_SERVING, 300_000);
    const listeningMs = await qemu.waitForConsole(FORWARDER_LISTENING, 300_000);
    return { agentMs, listeningMs };
  } finally {
    await qemu.stop();
  }
}

interface DaemonSample {
  /** Client side: pod network, CreateVM, StartVM, agent connect and Check. */
  createToReadyMs: number;
  /** From create to the domain's console opening (QEMU started by libvirtd). */
  beforeBootMs: number;
  /** The domain's console opening to the forwarder listening: the VM's own boot. */
  bootMs: number;
  agentInBootMs: number;
  /** The forwarder listening to agent ready (lease seen, tunnel, proxy dial, Check). */
  afterBootMs: number;
  instanceMs: number;
  tunnelMs: number;
  proxyMs: number;
  /** libvirt's QEMU command line for this domain: its machine, CPU and memory options. */
  qemuOptions: string;
}

/** The options that shape a TCG boot, from the command line libvirt logged for a domain. */
function bootShapingOptions(domainLog: string): string {
  // libvirt logs the command as one argument per line, each but the last ending in a backslash.
  const lines = readFileSync(domainLog, 'utf8').split('\n');
  const first = lines.findIndex((line) => line.includes('qemu-system-x86_64'));
  const end = lines.findIndex((line, i) => i >= first && !line.endsWith('\\'));
  const command = first < 0 ? undefined : lines.slice(first, end + 1).join(' ');
  if (!command) return '(no QEMU command line in the domain log)';
  const wanted = new Set(['-machine', '-accel', '-cpu', '-smp', '-m']);
  const words = command.split(/[\s\\]+/);
  return words
    .flatMap((word, i) => (wanted.has(word) && words[i + 1] ? [`${word} ${words[i + 1]}`] : []))
    .join(' ');
}

/** Polls libvirt's log directory for a new domain's console and the boot lines in it. */
function watchConsole(logDir: string, known: ReadonlySet<string>) {
  const seen: { openedAt?: number; agentAt?: number; listeningAt?: number; domainLog?: string } = {};
  let file: string | undefined;
  const timer = setInterval(() => {
    if (!file) {
      const name = existsSync(logDir)
        ? readdirSync(logDir).find((entry) => entry.endsWith('-console.log') && !known.has(entry))
        : undefined;
      if (!name) return;
      file = join(logDir, name);
      seen.openedAt = performance.now();
      seen.domainLog = join(logDir, name.replace(/-console\.log$/, '.log'));
    }
    const text = readFileSync(file, 'utf8');
    if (!seen.agentAt && AGENT_SERVING.test(text)) seen.agentAt = performance.now();
    if (!seen.listeningAt && FORWARDER_LISTENING.test(text)) seen.listeningAt = performance.now();
  }, 50);
  return { seen, stop: () => clearInterval(timer) };
}

async function daemonBoot(node: LocalNode): Promise<DaemonSample> {
  const logDir = join((node.cloud as LibvirtCloud).sandbox.dir, 'log', 'qemu');
  const known = new Set(existsSync(logDir) ? readdirSync(logDir) : []);
  const steps: Record<string, number> = {};
  const watch = watchConsole(logDir, known);
  const began = performance.now();
  let pod: LaunchedSandbox | undefined;
  try {
    pod = await node.launchPod({ onStep: (timing) => (steps[timing.step] = timing.ms) });
    const createToReadyMs =
      (steps['pod network'] ?? 0) +
      (steps.CreateVM ?? 0) +
      (steps.StartVM ?? 0) +
      (steps['agent connect'] ?? 0) +
      (steps.Check ?? 0);
    watch.stop();
    const { openedAt, agentAt, listeningAt } = watch.seen;
    if (!openedAt || !agentAt || !listeningAt)
      throw new Error(`the domain's console did not show the boot lines: ${JSON.stringify(watch.seen)}`);
    const phases = node.adaptor.startPhases(pod.state.id);
    if (!phases) throw new Error('the daemon did not log the StartVM phases');
    const stopped = await node.stopPod(pod);
    pod = undefined;
    if (stopped.errors.length > 0) throw new Error(`stop: ${JSON.stringify(stopped.errors)}`);
    return {
      createToReadyMs,
      beforeBootMs: openedAt - began,
      bootMs: listeningAt - openedAt,
      agentInBootMs: agentAt - openedAt,
      afterBootMs: createToReadyMs - (listeningAt - began),
      instanceMs: phases.instanceMs,
      tunnelMs: phases.tunnelMs,
      proxyMs: phases.proxyMs,
      qemuOptions: watch.seen.domainLog ? bootShapingOptions(watch.seen.domainLog) : '(no domain log)',
    };
  } finally {
    watch.stop();
    if (pod) await node.stopPod(pod).catch(() => {});
  }
}

const work = await mkdtemp('/var/tmp/ppbench-libvirt-');
let leftovers: string[] = [];
try {
  console.log(`## libvirt provider under TCG: pod create → agent ready, vs plain QEMU\n`);
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );

  // Cold: each build with an empty cache (debootstrap from the apt mirror); cached: the last one's.
  const cold: number[] = [];
  let cache = '';
  for (let i = 0; i < COLD_BUILDS; i++) {
    if (cache) await rm(cache, { recursive: true, force: true });
    cache = join(work, `cache-${i}`);
    cold.push(await timedBuild(join(work, 'image.qcow2'), cache));
    console.error(`cold build ${i + 1}/${COLD_BUILDS}: ${seconds(cold.at(-1)!)}`);
  }
  const cached: number[] = [];
  for (let i = 0; i < CACHED_BUILDS; i++) {
    cached.push(await timedBuild(join(work, 'image.qcow2'), cache));
    console.error(`cached build ${i + 1}/${CACHED_BUILDS}: ${seconds(cached.at(-1)!)}`);
  }
  const image = join(work, 'image.qcow2');

  const node = await LocalNode.start({
    binDir,
    name: `ppbvirt-${process.pid}`,
    provider: 'libvirt',
    libvirtImage: image,
  });
  const bare: BareSample[] = [];
  const daemon: DaemonSample[] = [];
  try {
    // Alternated, so that a drift in the machine's load touches both alike.
    for (let i = 0; i < BOOTS; i++) {
      bare.push(await bareBoot(image, work, i));
      console.error(
        `plain QEMU boot ${i + 1}/${BOOTS}: forwarder listening at ${seconds(bare.at(-1)!.listeningMs)}`,
      );
      daemon.push(await daemonBoot(node));
      console.error(
        `daemon pod ${i + 1}/${BOOTS}: agent ready at ${seconds(daemon.at(-1)!.createToReadyMs)}`,
      );
    }
  } finally {
    leftovers = await node.stop();
  }

  const reference = median(bare.map((s) => s.listeningMs));
  const ratio = (ms: number) => `${(ms / reference).toFixed(2)}×`;
  const line = (label: string, values: readonly number[]) =>
    `| ${label} | ${seconds(median(values))} | ${ratio(median(values))} |`;
  const pick = <T>(samples: readonly T[], f: (s: T) => number) => samples.map(f);
  console.log(`medians; ${BOOTS} boots each way, ${COLD_BUILDS} cold and ${CACHED_BUILDS} cached builds\n`);
  console.log('| | median | ÷ plain QEMU boot |');
  console.log('| --- | ---: | ---: |');
  console.log(
    line(
      '**reference: plain QEMU, spawn → forwarder listening**',
      pick(bare, (s) => s.listeningMs),
    ),
  );
  console.log(
    line(
      '↳ spawn → dev-agent serving',
      pick(bare, (s) => s.agentMs),
    ),
  );
  console.log(
    line(
      '**daemon: pod create → agent ready (Check answered)**',
      pick(daemon, (s) => s.createToReadyMs),
    ),
  );
  console.log(
    line(
      '↳ before boot: pod network, CreateVM, volume, cidata, define, start',
      pick(daemon, (s) => s.beforeBootMs),
    ),
  );
  console.log(
    line(
      '↳ VM boot: console open → forwarder listening',
      pick(daemon, (s) => s.bootMs),
    ),
  );
  console.log(
    line(
      '  ↳ console open → dev-agent serving',
      pick(daemon, (s) => s.agentInBootMs),
    ),
  );
  console.log(
    line(
      '↳ after boot: forwarder listening → agent ready',
      pick(daemon, (s) => s.afterBootMs),
    ),
  );
  console.log(
    line(
      "**daemon's own share** (create → ready − VM boot)",
      pick(daemon, (s) => s.createToReadyMs - s.bootMs),
    ),
  );
  console.log(
    line(
      'StartVM phase: instance (provider, until the DHCP lease)',
      pick(daemon, (s) => s.instanceMs),
    ),
  );
  console.log(
    line(
      'StartVM phase: tunnel',
      pick(daemon, (s) => s.tunnelMs),
    ),
  );
  console.log(
    line(
      'StartVM phase: proxy connect (waits for the forwarder)',
      pick(daemon, (s) => s.proxyMs),
    ),
  );
  if (cold.length > 0) console.log(line('image build, empty cache (debootstrap)', cold));
  if (cached.length > 0) console.log(line('image build, warm cache', cached));
  console.log('');
  console.log(
    `plain QEMU: -machine pc -accel tcg -cpu ${CPU} -smp ${VCPUS} -m ${MEMORY_MIB}, -snapshot, user network`,
  );
  console.log(
    `libvirt's QEMU: ${daemon[0]?.qemuOptions}, a qcow2 overlay on the base volume, a NAT bridge with dnsmasq\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
console.log(leftovers.length === 0 ? 'nothing left behind' : `LEFT BEHIND:\n${leftovers.join('\n')}`);
process.exit(leftovers.length === 0 ? 0 : 1);
