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
import { detectCluster } from './kubernetes/cluster-detection';
import type { PullAuthResult } from './kubernetes/image-pull-auth';
import { startStartupProbe } from './kubernetes/startup-probe';
import { OrphanSweeper } from './orphan-sweeper';
import { podVmInfoMethods } from './podvminfo-service';
import { type ProviderWithCatalog, SandboxManager } from './sandbox-manager';
import { type Recovery, recoverSandboxes } from './sandbox-recovery';
import { refuseIfServed } from './served-socket';
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
  /** Kubernetes mode: the pod's image pull secrets as auth.json for its pod VM. */
  imagePullAuth?: (podNamespace: string, podName: string) => Promise<PullAuthResult>;
}

export interface RunningDaemon {
  readonly sandboxes: SandboxManager;
  /** What the start did with the previous run's sandboxes. */
  readonly recovery: Recovery;
  readonly orphans: OrphanSweeper;
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
  const tls = await createSandboxTls(config, adaptor);

  // Before the provider starts: a second daemon must not take over the first one's socket and pods.
  await refuseIfServed(config.socketPath);
  const provider: ProviderWithCatalog = await factory.create(options.values, {
    log: (message) => adaptor.child(`cloud/${factory.name}`).info(message),
    owner: config.owner,
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
    imagePullAuth: options.imagePullAuth,
  });
  let server: TtrpcServer;
  let recovery: Recovery;
  let probe: Server | undefined;
  try {
    if (config.cloudConfigVerify) {
      // Upstream's verifier failure leaves the daemon silently not serving; here it stops the start.
      await provider.verifyConfig();
    }
    // Again, now that the socket is about to be taken: another daemon may have started meanwhile
    // (the provider's start can take seconds), and its sandbox directories must not go.
    await refuseIfServed(config.socketPath);
    // The sandboxes a previous run recorded: running ones are taken over, the rest cleaned up.
    recovery = await recoverSandboxes({
      podsDir: config.podsDir,
      provider,
      network,
      sandboxes,
      log: adaptor.child('cloud'),
    });
    // Directories without a record (an older version's, or a crash before the first record): their
    // agent sockets and apf.json with TLS keys are no use to anyone.
    for (const stale of removeStaleSandboxDirs(config.podsDir)) {
      adaptor.info(`removed the directory of sandbox ${stale}, left by an earlier run`);
    }
    // Before the socket: a probe that answers 500 while the start is under way, as kubelet expects.
    probe = await startClusterProbe(options.env ?? process.env, config.socketPath, recovery.settled, adaptor);
    server = new TtrpcServer({ log: (message) => adaptor.warn(message) })
      .register(HypervisorService.fullName, hypervisorMethods(sandboxes))
      .register(PodVMInfoService.fullName, podVmInfoMethods(sandboxes));
    await server.listen({ path: config.socketPath, mode: 0o600 }).catch((error: unknown) => {
      throw new Error(`listening on ${config.socketPath}: ${(error as Error).message}`, { cause: error });
    });
  } catch (error) {
    probe?.close();
    // Sandboxes being adopted stay as their records say, for a start that succeeds; their sockets
    // and proxies go.
    const kept = await sandboxes.stopAll({ keepRunning: true });
    // Nothing is served, so nothing may be left holding the cloud client (or a provider's bridge) either.
    await provider.teardown({ keepInstances: kept > 0 }).catch(() => {});
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
  });
  orphans.start();
  const warn = (message: string) => adaptor.warn(message);
  // Ready once shims can connect, as a Type=notify unit expects; sent from this process.
  await notifyServiceManager('READY=1', warn);

  let stopping: Promise<void> | undefined;
  return {
    sandboxes,
    recovery,
    orphans,
    stop: () => {
      stopping ??= (async () => {
        const keep = config.keepPodsOnExit;
        adaptor.info(
          keep
            ? `stopping: running sandboxes are kept for the next start (-keep-pods-on-exit), the others cleaned up`
            : `stopping: ${sandboxes.size} sandbox(es) to clean up`,
        );
        await notifyServiceManager('STOPPING=1', warn);
        const closing = server.shutdown(5000);
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
        adaptor.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Kubernetes mode's start: the startup probe (upstream's PROBE_PORT, default 8000). Outside a
 * cluster, one line says what is off.
 */
async function startClusterProbe(
  env: NodeJS.ProcessEnv,
  socketPath: string,
  recovered: Promise<unknown>,
  log: Logger,
): Promise<Server | undefined> {
  const cluster = detectCluster(env);
  if (!cluster.inCluster) {
    log.info(
      `not running in a Kubernetes cluster (${cluster.reason}): the extended resource, PeerPod objects, image pull secrets and the startup probe are off`,
    );
    return undefined;
  }
  const port = Number(env.PROBE_PORT?.trim() || 8000);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`invalid PROBE_PORT ${JSON.stringify(env.PROBE_PORT)}: must be a port number`);
  const probe = await startStartupProbe({ port, socketPath, recovered }).catch((error: unknown) => {
    throw new Error(`startup probe on 127.0.0.1:${port}: ${(error as Error).message}`, { cause: error });
  });
  log.info(
    `Kubernetes mode for node ${cluster.nodeName} (${cluster.via}): startup probe on 127.0.0.1:${port}/startup`,
  );
  return probe;
}
