// npm run bench:restart — restart survival: the daemon killed (SIGKILL) with 20 live pods and
// started again; the time from its start until every pod answers an agent call over a fresh
// connection, and the p50 per pod. The reference, in the same run: a fresh start with no pods (the
// time until the hypervisor socket answers). Also a surge rollout, as a DaemonSet update with
// maxSurge 1 makes it: a new daemon pod started beside the old one, which hands its pods over; the
// time until every pod answers through the new daemon. Local provider, built binaries, Kubernetes
// mode against the fake kube-apiserver throughout (so the reference pays the same API calls).
import { resolve } from 'node:path';
import { AgentSession, HypervisorClient, type LaunchedSandbox, teardownSandbox } from '@peerpods/shim-client';
import { LocalNode } from '../src/local-node';

const binDir = resolve(import.meta.dirname, '../../../dist/bin');
const PODS = Number(process.env.RESTART_PODS ?? 20);
const ROUNDS = Number(process.env.RESTART_ROUNDS ?? 3);

if (process.getuid?.() !== 0) {
  console.error('bench:restart needs root (network namespaces, links, iptables rules); run it as root');
  process.exit(1);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/** Until the pod's agent answers Check over a fresh connection; ms from `t0`. */
async function answersAt(pod: LaunchedSandbox, t0: number): Promise<number> {
  const agent = await AgentSession.connect(pod.state.agentSocketPath, { dialMs: 120_000 });
  try {
    await agent.check();
    return performance.now() - t0;
  } finally {
    agent.close();
  }
}

/** SIGKILL, then a start; resolves the per-pod times until each answers, and until all have. */
async function restartRound(node: LocalNode, pods: readonly LaunchedSandbox[]) {
  await node.adaptor.kill();
  const t0 = performance.now();
  const restarting = node.restartAdaptor();
  const perPod = await Promise.all(pods.map((pod) => answersAt(pod, t0)));
  await restarting;
  // The hypervisor socket answers too (for the reference's sake, the same end point).
  const hypervisor = await HypervisorClient.connect(node.adaptor.paths.socket);
  hypervisor.close();
  return { perPod, allMs: Math.max(performance.now() - t0, ...perPod) };
}

/** A new daemon pod beside the running one; until it serves and every pod answers through it. */
async function surgeRound(node: LocalNode, pods: readonly LaunchedSandbox[], podUid: string) {
  const t0 = performance.now();
  const old = await node.surgeAdaptor({ POD_UID: podUid });
  const perPod = await Promise.all(pods.map((pod) => answersAt(pod, t0)));
  const allMs = Math.max(performance.now() - t0, ...perPod);
  if (!old.output.includes(`handed ${pods.length} running sandbox(es) over to daemon pod ${podUid}`))
    throw new Error(`the old daemon did not hand every sandbox over:\n${old.output}`);
  if ((await old.stop()) !== 0) throw new Error(`the old daemon did not exit cleanly:\n${old.output}`);
  return { perPod, allMs };
}

const node = await LocalNode.start({ binDir, name: `ppr-${process.pid}`, kubernetes: { podUid: 'uid-0' } });
let leftovers: string[] = [];
try {
  const pods: LaunchedSandbox[] = [];
  for (let i = 0; i < PODS; i += 5) {
    pods.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(5, PODS - i) }, (_, j) =>
          node.launchPod({ podName: `${node.worker.name}-${i + j}` }),
        ),
      )),
    );
  }
  for (const pod of pods) {
    pod.agent.close();
    pod.hypervisor.close();
  }
  const withPods: { allMs: number; p50: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { perPod, allMs } = await restartRound(node, pods);
    if (!node.adaptor.output.includes(`restart: ${PODS} sandbox(es) adopted, 0 dropped`))
      throw new Error(`not every sandbox was adopted:\n${node.adaptor.output}`);
    withPods.push({ allMs, p50: median(perPod) });
    console.log(
      `round ${round + 1}: ${PODS} pods answer again after ${allMs.toFixed(0)} ms (p50 per pod ${median(perPod).toFixed(0)} ms)`,
    );
  }
  const surged: { allMs: number; p50: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { perPod, allMs } = await surgeRound(node, pods, `uid-surge-${round + 1}`);
    await node.adaptor.waitForLog(new RegExp(`restart: ${PODS} sandbox\\(es\\) adopted, 0 dropped`), 60_000);
    surged.push({ allMs, p50: median(perPod) });
    console.log(
      `surge ${round + 1}: ${PODS} pods answer through the new daemon after ${allMs.toFixed(0)} ms (p50 per pod ${median(perPod).toFixed(0)} ms)`,
    );
  }
  for (const pod of pods) {
    const stopped = await teardownSandbox(pod.state, { stateDir: false });
    if (stopped.errors.length > 0) throw new Error(`stop: ${JSON.stringify(stopped.errors)}`);
  }
  const empty: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { allMs } = await restartRound(node, []);
    empty.push(allMs);
  }
  const reference = median(empty);
  const all = median(withPods.map((r) => r.allMs));
  const p50 = median(withPods.map((r) => r.p50));
  console.log('');
  console.log(`| restart (median of ${ROUNDS}) | ms | × fresh start |`);
  console.log('|---|---|---|');
  console.log(`| fresh start, no pods (reference) | ${reference.toFixed(0)} | 1.00× |`);
  console.log(
    `| ${PODS} live pods: all answer again | ${all.toFixed(0)} | ${(all / reference).toFixed(2)}× |`,
  );
  console.log(`| ${PODS} live pods: p50 per pod | ${p50.toFixed(0)} | ${(p50 / reference).toFixed(2)}× |`);
  const surgeAll = median(surged.map((r) => r.allMs));
  const surgeP50 = median(surged.map((r) => r.p50));
  console.log(
    `| ${PODS} live pods, surge rollout: all answer through the new daemon | ${surgeAll.toFixed(0)} | ${(surgeAll / reference).toFixed(2)}× |`,
  );
  console.log(
    `| ${PODS} live pods, surge rollout: p50 per pod | ${surgeP50.toFixed(0)} | ${(surgeP50 / reference).toFixed(2)}× |`,
  );
} finally {
  leftovers = await node.stop();
}
console.log(leftovers.length === 0 ? '\nnothing left behind' : `\nLEFT BEHIND:\n${leftovers.join('\n')}`);
if (leftovers.length > 0) process.exitCode = 1;
