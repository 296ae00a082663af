import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { OptionSpec, OptionValues } from '@peerpods/config';
import { describeOptions, optionRecord } from '@peerpods/config';
import { validateGlobalInitdata } from '@peerpods/initdata';
import type { Logger } from '@peerpods/log';
import { VxlanWorkerNetwork, type WorkerNetwork } from '@peerpods/podnetwork';
import { HypervisorService, PodVMInfoService } from '@peerpods/protocols';
import type { ProviderFactory } from '@peerpods/providers';
import { notifyServiceManager } from '@peerpods/sd-notify';
import { TtrpcServer } from '@peerpods/ttrpc';
import { COMMON_OPTIONS } from './common-options';
import type { DaemonConfig } from './daemon-config';
import { hypervisorMethods } from './hypervisor-service';
import { Handover } from './kubernetes/handover';
import type { PullAuthResult } from './kubernetes/image-pull-auth';
import { enterKubernetesMode, type KubernetesMode } from './kubernetes/kubernetes-mode';
import { CAA_OWNER_ANNOTATION, PEERPODS_RESOURCE } from './kubernetes/node-capacity';
import { startStartupProbe } from './kubernetes/startup-probe';
import type { SweepReport } from './metrics/daemon-metrics';
import { startMetricsEndpoint } from './metrics/metrics-endpoint';
import { OrphanSweeper } from './orphan-sweeper';
import { podVmInfoMethods } from './podvminfo-service';
import { type ProviderWithCatalog, SandboxManager } from './sandbox-manager';
import { type Recovery, recoverSandboxes } from './sandbox-recovery';
import { awaitHandover, closeLeavingSuccessor, inodeOf, refuseIfServed } from './served-socket';
import { removeStaleSandboxDirs } from './stale-sandboxes';
import { createSandboxTls } from './tls-context';
import { TLS_STATE_FILE } from './tls-state';

export interface DaemonOptions {
  config: DaemonConfig;
  factory: ProviderFactory;
  /** Every resolved option (common and provider), for the start-up dump. */
  values: OptionValues;
  /** The `[adaptor]` logger; sandboxes log under `adaptor/cloud` and `adaptor/proxy`. */
  log: Logger;
  /** The worker side of pod networking; default: the real VXLAN tunnel (tests pass a stub). */
  network?: WorkerNetwork;
  onPhase?: (sandboxId: string, phase: string, ms: number) => void;
  /** Where NODE_NAME, KUBECONFIG, PROBE_PORT… are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The pod's image pull secrets as auth.json for its pod VM; default in Kubernetes mode: from the API. */
  imagePullAuth?: (podNamespace: string, podName: string) => Promise<PullAuthResult>;
  /** Kubernetes mode's timings and paths (tests shorten and move them). */
  kubernetes?: {
    /** How long a new daemon pod waits for the old one to hand over (default 60 s). */
    handoverTimeoutMs?: number;
    /** Where RBAC forbids watching the node: how often it is read instead (default 10 s). */
    ownershipPollIntervalMs?: number;
    /** The in-cluster service account token (default: where kubelet mounts it). */
    tokenPath?: string;
  };
}

const DEFAULT_HANDOVER_TIMEOUT_MS = 60_000;

export interface RunningDaemon {
  readonly sandboxes: SandboxManager;
  /** What the start did with the previous run's sandboxes. */
  readonly recovery: Recovery;
  readonly orphans: OrphanSweeper;
  /** Kubernetes mode: whether this daemon handed its sandboxes over to a newer daemon pod. */
  readonly handedOver: boolean;
  /** Stops accepting, stops every sandbox (deleting its instance), tears the provider down. */
  stop(): Promise<void>;
}

/** Starts the daemon: validates and logs the configuration, creates the provider, serves the socket. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config, factory, log } = options;
  const adaptor = log;
  const specs: OptionSpec[] = [...COMMON_OPTIONS, ...factory.options];
  if (config.logFormat === 'json')
    adaptor.info('server config', { config: optionRecord(specs, options.values) });
  else {
    adaptor.info('server config:');
    for (const line of describeOptions(specs, options.values)) adaptor.info(`  ${line}`);
  }
  if (config.initdata) validateGlobalInitdata(config.initdata);
  // First: the built-in CA is saved there.
  try {
    mkdirSync(config.podsDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(`creating the pods directory ${config.podsDir}: ${(error as Error).message}`);
  }
  const env = options.env ?? process.env;
  const cluster = await enterKubernetesMode(env, adaptor, options.kubernetes?.tokenPath);
  if (cluster) {
    // The claim first: a previous daemon pod (a surge rollout) sees it and hands over.
    await cluster.capacity.claim().catch((error: unknown) => {
      throw new Error(
        `claiming node ${cluster.nodeName} (annotation ${CAA_OWNER_ANNOTATION}): ${(error as Error).message}`,
        { cause: error },
      );
    });
    await awaitHandover(config.socketPath, {
      timeoutMs: options.kubernetes?.handoverTimeoutMs ?? DEFAULT_HANDOVER_TIMEOUT_MS,
      log: adaptor,
    });
  } else {
    // Before the provider starts: a second daemon must not take over the first one's socket and pods.
    await refuseIfServed(config.socketPath);
  }
  const tls = await createSandboxTls(config, adaptor);
  // Before the provider: its start-up calls (instance types, images) are counted too.
  const endpoint = config.metricsAddress
    ? await startMetricsEndpoint(config.metricsAddress, factory.name, adaptor)
    : undefined;
  const metrics = endpoint?.metrics;
  const provider: ProviderWithCatalog = await factory
    .create(options.values, {
      log: (message) => adaptor.child(`cloud/${factory.name}`).info(message),
      owner: config.owner,
      ...(metrics ? { apiCalls: metrics.cloudApiCall } : {}),
    })
    .catch(async (error: unknown) => {
      await endpoint?.close();
      throw error;
    });
  // No I/O in these two: built before the try, so that its failure path can reach the sandboxes.
  const network: WorkerNetwork =
    options.network ??
    new VxlanWorkerNetwork({
      vxlanPort: config.vxlanPort,
      vxlanMinId: config.vxlanMinId,
      hostInterface: config.hostInterface,
    });
  const sandboxes = new SandboxManager({
    config,
    provider,
    network,
    tls,
    log: adaptor,
    onPhase: options.onPhase,
    imagePullAuth: options.imagePullAuth ?? cluster?.imagePullAuth,
    peerPods: cluster?.peerPods,
    metrics,
  });
  metrics?.watchSandboxes(() => sandboxes.census());
  let server: TtrpcServer | undefined;
  let socketInode = 0;
  let recovery: Recovery;
  let probe: Server | undefined;
  try {
    if (config.cloudConfigVerify) {
      // Upstream's verifier failure leaves the daemon silently not serving; here it stops the start.
      await provider.verifyConfig();
    }
    // Again, now that the socket is about to be taken: another daemon may have started meanwhile
    // (the provider's start can take seconds), and its sandbox directories must not go. In a
    // cluster, the node's owner annotation decides instead.
    if (!cluster) await refuseIfServed(config.socketPath);
    // The sandboxes a previous run recorded: running ones are taken over, the rest cleaned up.
    recovery = await recoverSandboxes({
      podsDir: config.podsDir,
      provider,
      network,
      sandboxes,
      log: adaptor.child('cloud'),
      peerPods: cluster?.peerPods,
    });
    // Directories without a record (an older version's, or a crash before the first record): their
    // agent sockets and apf.json with TLS keys are no use to anyone.
    for (const stale of removeStaleSandboxDirs(config.podsDir)) {
      adaptor.info(`removed the directory of sandbox ${stale}, left by an earlier run`);
    }
    // Before the socket: a probe that answers 500 while the start is under way, as kubelet expects.
    if (cluster) probe = await startClusterProbe(env, config.socketPath, recovery.settled, adaptor);
    server = new TtrpcServer({ log: (message) => adaptor.warn(message) })
      .register(HypervisorService.fullName, hypervisorMethods(sandboxes, metrics))
      .register(PodVMInfoService.fullName, podVmInfoMethods(sandboxes));
    await server.listen({ path: config.socketPath, mode: 0o600 }).catch((error: unknown) => {
      throw new Error(`listening on ${config.socketPath}: ${(error as Error).message}`, { cause: error });
    });
    socketInode = inodeOf(config.socketPath) ?? 0;
    if (cluster) await advertiseCapacity(cluster, config.peerpodsLimitPerNode, adaptor);
  } catch (error) {
    probe?.close();
    await server?.close();
    // Sandboxes being adopted stay as their records say, for a start that succeeds; their sockets
    // and proxies go.
    const kept = await sandboxes.stopAll({ keepRunning: true });
    // Nothing is served, so nothing may be left holding the cloud client (or a provider's bridge) either.
    await provider.teardown({ keepInstances: kept > 0 }).catch(() => {});
    await endpoint?.close();
    throw error;
  }
  adaptor.info(`server started, listening on ${config.socketPath}`);
  if (recovery.adopting.length > 0) {
    const began = performance.now();
    void recovery.settled.then(({ adopted, dropped }) =>
      adaptor.info(
        `restart: ${adopted.length} sandbox(es) adopted, ${dropped.length + recovery.cleaned.length + recovery.unreadable.length} dropped, in ${(performance.now() - began).toFixed(0)} ms`,
      ),
    );
  }
  const orphans = new OrphanSweeper({
    provider,
    holds: (instance) => sandboxes.holds(instance),
    intervalMs: config.orphanSweepIntervalMs,
    graceMs: config.orphanSweepGraceMs,
    dryRun: config.orphanSweepDryRun,
    log: adaptor.child('sweep'),
    ...(metrics ? { onRound: (report: SweepReport) => metrics.orphanSweep(report) } : {}),
  });
  orphans.start();
  const warn = (message: string) => adaptor.warn(message);
  // Ready once shims can connect, as a Type=notify unit expects; sent from this process.
  await notifyServiceManager('READY=1', warn);

  const serving = server;
  const handover =
    cluster &&
    new Handover({
      cluster,
      log: adaptor,
      pollIntervalMs: options.kubernetes?.ownershipPollIntervalMs,
      leave: async () => {
        probe?.close();
        await endpoint?.close();
        await orphans.stop();
        return sandboxes.stopAll({ keepRunning: true });
      },
      // Calls still in flight (a StopVM) finish with the provider still there.
      releaseSocket: () =>
        closeLeavingSuccessor(config.socketPath, socketInode, () => serving.shutdown(5000)),
      servesSocket: () => inodeOf(config.socketPath) === socketInode,
      teardown: () => provider.teardown({ keepInstances: true }),
    });

  let stopping: Promise<void> | undefined;
  return {
    sandboxes,
    recovery,
    orphans,
    get handedOver() {
      return handover?.started ?? false;
    },
    stop: () => {
      stopping ??= (async () => {
        if (await handover?.atStop()) {
          await endpoint?.close();
          adaptor.info('stopped');
          return;
        }
        const keep = config.keepPodsOnExit;
        adaptor.info(
          keep
            ? `stopping: running sandboxes are kept for the next start (-keep-pods-on-exit), the others cleaned up`
            : `stopping: ${sandboxes.size} sandbox(es) to clean up`,
        );
        await notifyServiceManager('STOPPING=1', warn);
        const closing = closeLeavingSuccessor(config.socketPath, socketInode, () => serving.shutdown(5000));
        await orphans.stop();
        probe?.close();
        const kept = await sandboxes.stopAll({ keepRunning: keep });
        if (keep) adaptor.info(`kept ${kept} running sandbox(es) for the next start`);
        // No pod VM left trusts the saved CA: a clean stop leaves no key behind.
        if (kept === 0) rmSync(join(config.podsDir, TLS_STATE_FILE), { force: true });
        await closing;
        await provider
          .teardown({ keepInstances: kept > 0 })
          .catch((error: unknown) => adaptor.warn(`provider teardown: ${String(error)}`));
        await endpoint?.close();
        adaptor.info('stopped');
      })();
      return stopping;
    },
  };
}

/** `kata.peerpods.io/vm` = PEERPODS_LIMIT_PER_NODE in the node's capacity; a limit < 0 advertises none. */
async function advertiseCapacity(cluster: KubernetesMode, limit: number, log: Logger): Promise<void> {
  if (limit < 0) {
    log.info(`-peerpods-limit-per-node is ${limit}: no ${PEERPODS_RESOURCE} capacity advertised`);
    return;
  }
  await cluster.capacity.advertise(limit).catch((error: unknown) => {
    throw new Error(
      `advertising ${PEERPODS_RESOURCE} on node ${cluster.nodeName}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  });
  log.info(`advertised ${PEERPODS_RESOURCE}: ${limit} on node ${cluster.nodeName}`);
}

/** Kubernetes mode's startup probe (upstream's PROBE_PORT, default 8000). */
async function startClusterProbe(
  env: NodeJS.ProcessEnv,
  socketPath: string,
  recovered: Promise<unknown>,
  log: Logger,
): Promise<Server> {
  const port = Number(env.PROBE_PORT?.trim() || 8000);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`invalid PROBE_PORT ${JSON.stringify(env.PROBE_PORT)}: must be a port number`);
  const probe = await startStartupProbe({ port, socketPath, recovered }).catch((error: unknown) => {
    throw new Error(`startup probe on 127.0.0.1:${port}: ${(error as Error).message}`, { cause: error });
  });
  log.info(`startup probe on 127.0.0.1:${port}/startup`);
  return probe;
}
