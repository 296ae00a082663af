import { mkdirSync } from 'node:fs';
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
import { podVmInfoMethods } from './podvminfo-service';
import { type ProviderWithCatalog, SandboxManager } from './sandbox-manager';
import { refuseIfServed } from './served-socket';
import { removeStaleSandboxDirs } from './stale-sandboxes';
import { createSandboxTls } from './tls-context';

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
}

export interface RunningDaemon {
  readonly sandboxes: SandboxManager;
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
  const tls = await createSandboxTls(config, adaptor);

  // Before the provider starts: a second daemon must not take over the first one's socket and pods.
  await refuseIfServed(config.socketPath);
  const provider: ProviderWithCatalog = await factory.create(options.values, {
    log: (message) => adaptor.child(`cloud/${factory.name}`).info(message),
    owner: config.owner,
  });
  let sandboxes: SandboxManager;
  let server: TtrpcServer;
  try {
    if (config.cloudConfigVerify) {
      // Upstream's verifier failure leaves the daemon silently not serving; here it stops the start.
      await provider.verifyConfig();
    }
    const network =
      options.network ??
      new VxlanWorkerNetwork({
        vxlanPort: config.vxlanPort,
        vxlanMinId: config.vxlanMinId,
        hostInterface: config.hostInterface,
      });
    sandboxes = new SandboxManager({
      config,
      provider,
      network,
      tls,
      log: adaptor,
      onPhase: options.onPhase,
    });
    try {
      mkdirSync(config.podsDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new Error(`creating the pods directory ${config.podsDir}: ${(error as Error).message}`);
    }
    // Again, now that the socket is about to be taken: another daemon may have started meanwhile
    // (the provider's start can take seconds), and its sandbox directories must not go.
    await refuseIfServed(config.socketPath);
    // A daemon that crashed left its sandboxes' directories (agent sockets, apf.json with TLS keys);
    // no shim can use them now, since the sandboxes died with it.
    for (const stale of removeStaleSandboxDirs(config.podsDir)) {
      adaptor.info(`removed the directory of sandbox ${stale}, left by an earlier run`);
    }
    server = new TtrpcServer({ log: (message) => adaptor.warn(message) })
      .register(HypervisorService.fullName, hypervisorMethods(sandboxes))
      .register(PodVMInfoService.fullName, podVmInfoMethods(sandboxes));
    await server.listen({ path: config.socketPath, mode: 0o600 }).catch((error: unknown) => {
      throw new Error(`listening on ${config.socketPath}: ${(error as Error).message}`, { cause: error });
    });
  } catch (error) {
    // Nothing is served, so nothing may be left holding the cloud client (or a provider's bridge) either.
    await provider.teardown().catch(() => {});
    throw error;
  }
  adaptor.info(`server started, listening on ${config.socketPath}`);
  const warn = (message: string) => adaptor.warn(message);
  // Ready once shims can connect, as a Type=notify unit expects; sent from this process.
  await notifyServiceManager('READY=1', warn);

  let stopping: Promise<void> | undefined;
  return {
    sandboxes,
    stop: () => {
      stopping ??= (async () => {
        adaptor.info(`stopping: ${sandboxes.size} sandbox(es) to clean up`);
        await notifyServiceManager('STOPPING=1', warn);
        const closing = server.shutdown(5000);
        await sandboxes.stopAll();
        await closing;
        await provider
          .teardown()
          .catch((error: unknown) => adaptor.warn(`provider teardown: ${String(error)}`));
        adaptor.info('stopped');
      })();
      return stopping;
    },
  };
}
