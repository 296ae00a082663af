import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeApfConfig } from '@peerpods/apf-config';
import { encodeInitdataAnnotation } from '@peerpods/initdata';
import type { Logger } from '@peerpods/log';
import { netnsExists } from '@peerpods/netops';
import type { WorkerNetwork } from '@peerpods/podnetwork';
import {
  cloudConfig,
  type Instance,
  InstanceCreationError,
  type InstanceTypeCatalog,
  type InstanceTypeSpec,
  instanceName,
  type Provider,
  parseSandboxAnnotations,
  selectInstanceType,
  type UserDataFile,
} from '@peerpods/providers';
import { AgentProxy } from './agent-proxy';
import type { DaemonConfig } from './daemon-config';
import type { PullAuthResult } from './kubernetes/image-pull-auth';
import type { PeerPodObjects } from './kubernetes/peer-pod-objects';
import type { DaemonMetrics, SandboxCensus } from './metrics/daemon-metrics';
import type { Sandbox } from './sandbox';
import { SANDBOX_ID } from './sandbox-id';
import { type SandboxRecord, writeSandboxRecord } from './sandbox-record';
import type { SandboxTls } from './tls-context';

/** Why a StartVM in flight was given up: `start cancelled: <why>`. */
export class StartCancelled extends Error {
  constructor(
    readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`start cancelled: ${why}`, options);
  }
}

/** A provider may publish its instance types so CreateVM can choose and check one before any cloud call. */
export type ProviderWithCatalog = Provider & { instanceTypeCatalog?: () => InstanceTypeCatalog };

// Cleaning up after a failed StartVM must not depend on the call that failed.
const CLEANUP_BUDGET_MS = 10 * 60_000;
const noop = (): void => {};

export interface SandboxManagerDeps {
  config: DaemonConfig;
  provider: ProviderWithCatalog;
  network: WorkerNetwork;
  tls: SandboxTls | undefined;
  log: Logger;
  /** Kubernetes mode: the pod's image pull secrets as auth.json (absent outside a cluster). */
  imagePullAuth?: (podNamespace: string, podName: string) => Promise<PullAuthResult>;
  /** Kubernetes mode: a PeerPod object per instance, for peerpod-ctrl. */
  peerPods?: Pick<PeerPodObjects, 'created' | 'released'>;
  /** Where the daemon's own clock for "daemon time" breakdowns is reported (benchmarks, logs). */
  onPhase?: (sandboxId: string, phase: string, ms: number) => void;
  /** -metrics-addr: StartVM's steps and the proxies' calls. */
  metrics?: Pick<DaemonMetrics, 'startPhase' | 'agentCall'>;
}

/**
 * The sandbox lifecycle behind hypervisor.Hypervisor: CreateVM prepares everything without a cloud
 * call, StartVM creates the instance, the tunnel and the agent proxy, StopVM removes all of it.
 * Sandboxes are independent: one pod's slow provider call never waits on another's.
 */
export class SandboxManager {
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly instanceWaiters = new Set<() => void>();
  private readonly cloudLog: Logger;
  private readonly proxyLog: Logger;
  /** Set by a shutdown that keeps running sandboxes. */
  private leaving = false;
  /** Set once stopAll began: no new sandbox may start behind its back. */
  private closed = false;
  /** Ids of the previous run's sandboxes that this start removed instead of adopting. */
  private readonly removedAtStart = new Set<string>();

  constructor(private readonly deps: SandboxManagerDeps) {
    this.cloudLog = deps.log.child('cloud');
    this.proxyLog = deps.log.child('proxy');
  }

  get size(): number {
    return this.sandboxes.size;
  }

  ids(): string[] {
    return [...this.sandboxes.keys()];
  }

  /** How many sandboxes are in each state, and how many tunnels are up (the metrics' gauges). */
  census(): SandboxCensus {
    const byState = { creating: 0, created: 0, starting: 0, running: 0, stopping: 0 };
    let tunnels = 0;
    for (const sandbox of this.sandboxes.values()) {
      byState[sandbox.state] += 1;
      if (sandbox.tunnelUp) tunnels += 1;
    }
    return { byState, tunnels };
  }

  async createVM(
    id: string,
    annotations: Readonly<Record<string, string>>,
    netnsPath: string,
  ): Promise<string> {
    if (this.closed) throw new Error('the daemon is shutting down: no new sandboxes');
    if (id === '') throw new Error('empty sandbox id');
    if (!SANDBOX_ID.test(id)) throw new Error(`invalid sandbox id ${JSON.stringify(id)}`);
    const parsed = parseSandboxAnnotations(annotations);
    if (parsed.warnings.length > 0) throw new Error(`invalid annotations: ${parsed.warnings.join('; ')}`);
    if (this.sandboxes.has(id)) throw new Error(`adding sandbox: sandbox ${id} already exists`);
    const { config } = this.deps;
    const dir = join(config.podsDir, id);
    const sandbox: Sandbox = {
      id,
      podName: parsed.podName,
      podNamespace: parsed.podNamespace,
      netnsPath,
      instanceName: instanceName(parsed.podName, id),
      dir,
      agentSocketPath: join(dir, 'agent.ttrpc'),
      state: 'creating',
    };
    // Reserved before any await, so a concurrent duplicate fails instead of sharing the directory.
    this.sandboxes.set(id, sandbox);
    sandbox.creating = this.prepare(sandbox, parsed);
    try {
      await sandbox.creating;
    } finally {
      sandbox.creating = undefined;
    }
    this.cloudLog.info(
      `create a sandbox ${id} for pod ${sandbox.podName} in namespace ${sandbox.podNamespace} (netns: ${netnsPath})`,
    );
    return sandbox.agentSocketPath;
  }

  /** CreateVM's work after the id is reserved; on failure it removes everything it made. */
  private async prepare(sandbox: Sandbox, parsed: ReturnType<typeof parseSandboxAnnotations>): Promise<void> {
    const { id, dir } = sandbox;
    try {
      sandbox.spec = this.instanceSpec(parsed);
      sandbox.podNetwork = await this.deps.network.inspect(sandbox.netnsPath);
      const apfJson = serializeApfConfig({
        podNetwork: sandbox.podNetwork,
        podNamespace: sandbox.podNamespace,
        podName: sandbox.podName,
        ...(await this.deps.tls?.apfFields(sandbox.instanceName)),
      });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Upstream writes this 0666 "for debugging"; it holds the VM's TLS private key, so owner-only here.
      writeFileSync(join(dir, 'apf.json'), apfJson, { mode: 0o600 });
      const pullAuth = await this.deps.imagePullAuth?.(sandbox.podNamespace, sandbox.podName);
      for (const note of pullAuth?.notes ?? []) this.cloudLog.warn(note);
      sandbox.userData = cloudConfig(this.userDataFiles(apfJson, parsed.initdata, pullAuth?.authJson));
      sandbox.state = 'created';
      this.record(sandbox, 'created');
    } catch (error) {
      if (this.sandboxes.get(id) === sandbox) this.sandboxes.delete(id);
      rmSync(dir, { recursive: true, force: true });
      // inspect reserved a VNI for this sandbox; give it back.
      if (sandbox.podNetwork) await this.releaseNetwork(sandbox);
      throw error;
    }
  }

  async startVM(id: string, callSignal: AbortSignal): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new Error(`getting sandbox: sandbox ${id} does not exist`);
    if (sandbox.state !== 'created')
      throw new Error(`sandbox ${id} cannot be started: it is ${sandbox.state}`);
    sandbox.state = 'starting';
    const controller = new AbortController();
    const forward = () => controller.abort(callSignal.reason);
    callSignal.addEventListener('abort', forward, { once: true });
    // The whole attempt, clean-up included, so a StopVM that aborts it can wait for all of it.
    const attempt = (async () => {
      try {
        await this.start(sandbox, controller.signal);
      } catch (error) {
        await this.undoStart(sandbox);
        throw error;
      }
    })();
    sandbox.starting = { controller, settled: attempt.then(noop, noop) };
    try {
      await attempt;
      if (sandbox.state === 'starting') sandbox.state = 'running';
    } catch (error) {
      if (sandbox.state === 'starting') sandbox.state = 'created';
      // Cancelled by StopVM or shutdown: say so, rather than how the step it cut short failed.
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof StartCancelled)
        throw new StartCancelled(reason.why, { cause: error });
      throw error;
    } finally {
      callSignal.removeEventListener('abort', forward);
      sandbox.starting = undefined;
    }
  }

  /** `why`: what cancels a start in flight, in its error ("start cancelled: …"). */
  async stopVM(id: string, why = 'StopVM for this sandbox'): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) {
      // Cleaned up by this start (a previous run's sandbox that could not be adopted): the shim's
      // StopVM asks for what is already done.
      if (this.removedAtStart.has(id)) {
        this.cloudLog.info(`StopVM for sandbox ${id}: already removed at start-up`);
        return;
      }
      throw new Error(`stopping VM: sandbox ${id} does not exist`);
    }
    // A second StopVM (a retry, or shutdown) waits for the first one's clean-up instead of returning early.
    sandbox.stopping ??= this.stop(sandbox, why);
    return sandbox.stopping;
  }

  private async stop(sandbox: Sandbox, why: string): Promise<void> {
    const { id } = sandbox;
    // A CreateVM still running finishes (or fails and cleans up) first, so nothing it makes outlives us.
    if (sandbox.creating) await sandbox.creating.catch(noop);
    if (this.sandboxes.get(id) !== sandbox) return;
    sandbox.state = 'stopping';
    if (sandbox.starting) {
      sandbox.starting.controller.abort(new StartCancelled(why));
      await sandbox.starting.settled;
    }
    await this.undoStart(sandbox);
    await this.releaseNetwork(sandbox);
    rmSync(sandbox.dir, { recursive: true, force: true });
    this.sandboxes.delete(id);
    this.cloudLog.info(`stopped sandbox ${id}`);
  }

  /**
   * StopVM for every sandbox, at daemon shutdown. With `keepRunning`, running sandboxes are left as
   * they are (instance, tunnel and record) for the next run to adopt; only their agent sockets stop
   * being served. Resolves how many were kept.
   */
  async stopAll(options: { keepRunning?: boolean } = {}): Promise<number> {
    const kept: Sandbox[] = [];
    // An adoption cut short here gives its sandbox back as it found it, for the next start.
    this.leaving = options.keepRunning === true;
    this.closed = true;
    await Promise.all(
      [...this.sandboxes.values()].map(async (sandbox) => {
        const keepable =
          sandbox.state === 'running' || (sandbox.adopted === true && sandbox.state === 'starting');
        if (options.keepRunning && keepable && !sandbox.stopping) {
          kept.push(sandbox);
          sandbox.starting?.controller.abort(new StartCancelled('the daemon is shutting down'));
          await sandbox.starting?.settled;
          await sandbox.proxy?.stop().catch(() => {});
          return;
        }
        await this.stopVM(sandbox.id, 'the daemon is shutting down').catch(() => {});
      }),
    );
    return kept.length;
  }

  /**
   * Takes over a running sandbox a previous run of the daemon recorded (restart survival): the
   * tunnel is checked and repaired, the agent socket is served again, the proxy reconnects to the
   * same forwarder. Until that is done the sandbox is `starting`, and a StopVM cancels it and cleans
   * up as for any start. If it cannot be taken over, everything it had is removed (the instance
   * too) and the error says why. The sandbox and its VNI are reserved before this returns its promise.
   */
  adopt(record: SandboxRecord): Promise<'intact' | 'repaired'> {
    if (this.sandboxes.has(record.id))
      return Promise.reject(new Error(`sandbox ${record.id} already exists`));
    const sandbox: Sandbox = {
      id: record.id,
      podName: record.podName,
      podNamespace: record.podNamespace,
      netnsPath: record.netnsPath,
      instanceName: record.instanceName,
      dir: join(this.deps.config.podsDir, record.id),
      agentSocketPath: join(this.deps.config.podsDir, record.id, 'agent.ttrpc'),
      state: 'starting',
      podNetwork: record.podNetwork,
      instance: record.instance,
      tunnelUp: record.tunnelUp,
      ...(record.peerPod ? { peerPod: record.peerPod } : {}),
      adopted: true,
    };
    this.sandboxes.set(record.id, sandbox);
    const controller = new AbortController();
    const attempt = (async () => {
      try {
        // network.adopt reserves the VNI before its first await: a CreateVM meanwhile gets another.
        const tunnel = this.deps.network.adopt({
          sandboxId: sandbox.id,
          netnsPath: sandbox.netnsPath,
          instanceIps: sandbox.instance!.ips,
          podNetwork: sandbox.podNetwork!,
        });
        if (!(await netnsExists(sandbox.netnsPath))) {
          await tunnel.catch(noop);
          throw new Error(`its pod network namespace ${sandbox.netnsPath} is gone`);
        }
        const found = await tunnel;
        sandbox.tunnelUp = true;
        controller.signal.throwIfAborted();
        // The socket file of the run before: nothing listens on it any more.
        rmSync(sandbox.agentSocketPath, { force: true });
        const proxy = this.createProxy(sandbox, sandbox.instance!.ips[0]!);
        sandbox.proxy = proxy;
        await proxy.start(controller.signal);
        return found;
      } catch (error) {
        if (this.leaving) {
          // Shutdown with -keep-pods-on-exit: the record, instance and tunnel stay for the next start.
          await sandbox.proxy?.stop().catch(noop);
          throw error;
        }
        await this.undoStart(sandbox);
        await this.releaseNetwork(sandbox);
        rmSync(sandbox.dir, { recursive: true, force: true });
        if (this.sandboxes.get(sandbox.id) === sandbox && !sandbox.stopping)
          this.sandboxes.delete(sandbox.id);
        throw error;
      }
    })();
    sandbox.starting = { controller, settled: attempt.then(noop, noop) };
    return attempt.then(
      (found) => {
        if (sandbox.state === 'starting') sandbox.state = 'running';
        sandbox.starting = undefined;
        return found;
      },
      (error: unknown) => {
        sandbox.starting = undefined;
        throw error;
      },
    );
  }

  /** A previous run's sandbox this start removed: a later StopVM for it succeeds. */
  markRemovedAtStart(id: string): void {
    this.removedAtStart.add(id);
  }

  /** Whether a sandbox of this daemon holds the instance, or is the one the instance was made for. */
  holds(instance: { id: string; sandboxId: string }): boolean {
    if (instance.sandboxId !== '' && this.sandboxes.has(instance.sandboxId)) return true;
    for (const sandbox of this.sandboxes.values()) if (sandbox.instance?.id === instance.id) return true;
    return false;
  }

  /** VNIs of every sandbox that has a pod network (inspected and not released). */
  heldVnis(): Set<number> {
    const vnis = new Set<number>();
    for (const sandbox of this.sandboxes.values()) {
      const network = sandbox.podNetwork;
      if (network) vnis.add(network.vxlanId ?? this.deps.config.vxlanMinId + network.index);
    }
    return vnis;
  }

  /** Writes the sandbox's record for a restart; a failure is logged, never fatal to the pod. */
  private record(sandbox: Sandbox, state: SandboxRecord['state']): void {
    if (!sandbox.podNetwork) return;
    try {
      writeSandboxRecord(sandbox.dir, {
        id: sandbox.id,
        podName: sandbox.podName,
        podNamespace: sandbox.podNamespace,
        netnsPath: sandbox.netnsPath,
        instanceName: sandbox.instanceName,
        state,
        podNetwork: sandbox.podNetwork,
        ...(sandbox.instance ? { instance: sandbox.instance } : {}),
        tunnelUp: state === 'running' || sandbox.tunnelUp === true,
        ...(sandbox.peerPod ? { peerPod: sandbox.peerPod } : {}),
      });
    } catch (error) {
      this.cloudLog.warn(
        `writing the record of sandbox ${sandbox.id}: ${(error as Error).message}; a restart cannot adopt it`,
      );
    }
  }

  /** The instance id of a running pod's sandbox (podvminfo.GetInfo). */
  instanceIdFor(podName: string, podNamespace: string): string | undefined {
    for (const sandbox of this.sandboxes.values()) {
      if (sandbox.podName === podName && sandbox.podNamespace === podNamespace && sandbox.instance) {
        return sandbox.instance.id;
      }
    }
    return undefined;
  }

  /** Resolves the next time any sandbox gets an instance (or the signal aborts). */
  whenInstanceRecorded(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const wake = () => {
        this.instanceWaiters.delete(wake);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.instanceWaiters.delete(wake);
        reject(signal.reason);
      };
      this.instanceWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async start(sandbox: Sandbox, signal: AbortSignal): Promise<void> {
    const { provider, network } = this.deps;
    let instance: Instance;
    const began = performance.now();
    const phases: string[] = [];
    const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        const done = await work();
        this.deps.metrics?.startPhase(phase, (performance.now() - started) / 1000);
        return done;
      } finally {
        const ms = performance.now() - started;
        phases.push(`${phase} ${ms.toFixed(1)} ms`);
        this.deps.onPhase?.(sandbox.id, phase, ms);
      }
    };
    try {
      instance = await timed('instance', () =>
        provider.createInstance({
          podName: sandbox.podName,
          sandboxId: sandbox.id,
          instanceName: sandbox.instanceName,
          userData: sandbox.userData ?? '',
          spec: sandbox.spec!,
          signal,
        }),
      );
    } catch (error) {
      if (error instanceof InstanceCreationError && error.instance) {
        sandbox.instance = {
          id: error.instance.id,
          name: error.instance.name ?? sandbox.instanceName,
          ips: error.instance.ips ?? [],
        };
        this.record(sandbox, 'starting');
      }
      throw new Error(`creating an instance : ${(error as Error).message}`, { cause: error });
    }
    sandbox.instance = instance;
    // Before the tunnel: a restart after a crash from here on knows which instance to delete.
    this.record(sandbox, 'starting');
    this.cloudLog.info(`created an instance ${instance.name} for sandbox ${sandbox.id}`);
    for (const wake of [...this.instanceWaiters]) wake();
    if (this.deps.peerPods) {
      sandbox.peerPod = await this.deps.peerPods.created(sandbox, instance.id);
      if (sandbox.peerPod) this.record(sandbox, 'starting');
    }
    signal.throwIfAborted();
    const address = instance.ips[0];
    if (!address) throw new Error('instance IP is not available');

    await timed('tunnel', () =>
      network.setup({
        sandboxId: sandbox.id,
        netnsPath: sandbox.netnsPath,
        instanceIps: instance.ips,
        podNetwork: sandbox.podNetwork!,
      }),
    );
    sandbox.tunnelUp = true;
    signal.throwIfAborted();

    const proxy = this.createProxy(sandbox, address);
    sandbox.proxy = proxy;
    await timed('proxy', () => proxy.start(signal));
    this.record(sandbox, 'running');
    this.cloudLog.info('agent proxy is ready');
    this.cloudLog.info(
      `started sandbox ${sandbox.id} in ${(performance.now() - began).toFixed(1)} ms (${phases.join(', ')})`,
    );
  }

  private createProxy(sandbox: Sandbox, address: string): AgentProxy {
    const { config, tls } = this.deps;
    return new AgentProxy({
      socketPath: sandbox.agentSocketPath,
      target: tls
        ? { host: address, port: config.forwarderPort, tls: tls.clientOptions(sandbox.instanceName) }
        : { host: address, port: config.forwarderPort },
      proxyTimeoutMs: config.proxyTimeoutMs,
      log: this.proxyLog,
      ...(this.deps.metrics ? { onCall: this.deps.metrics.agentCall } : {}),
    });
  }

  /** Removes what a start created, in reverse order; each step best effort and logged. */
  private async undoStart(sandbox: Sandbox): Promise<void> {
    const log = this.cloudLog;
    if (sandbox.proxy) {
      await sandbox.proxy
        .stop()
        .catch((error: unknown) => log.warn(`stopping agent proxy of ${sandbox.id}: ${String(error)}`));
      sandbox.proxy = undefined;
    }
    if (sandbox.instance) {
      const { id } = sandbox.instance;
      try {
        await this.deps.provider.deleteInstance(id, AbortSignal.timeout(CLEANUP_BUDGET_MS));
        log.info(`deleted an instance ${id} for sandbox ${sandbox.id}`);
        if (sandbox.peerPod) await this.deps.peerPods?.released(sandbox.podNamespace, sandbox.peerPod);
        sandbox.peerPod = undefined;
      } catch (error) {
        log.warn(`failed to delete an instance ${id} for sandbox ${sandbox.id}: ${(error as Error).message}`);
      }
      sandbox.instance = undefined;
    }
    if (sandbox.tunnelUp && sandbox.podNetwork) {
      await this.deps.network
        .teardown({ sandboxId: sandbox.id, netnsPath: sandbox.netnsPath, podNetwork: sandbox.podNetwork })
        .catch((error: unknown) => log.warn(`tearing down the tunnel of ${sandbox.id}: ${String(error)}`));
      sandbox.tunnelUp = false;
    }
  }

  /** Teardown is idempotent and also frees the VNI that inspect reserved, tunnel built or not. */
  private async releaseNetwork(sandbox: Sandbox): Promise<void> {
    if (!sandbox.podNetwork) return;
    await this.deps.network
      .teardown({ sandboxId: sandbox.id, netnsPath: sandbox.netnsPath, podNetwork: sandbox.podNetwork })
      .catch((error: unknown) =>
        this.cloudLog.warn(`releasing the pod network of ${sandbox.id}: ${String(error)}`),
      );
    sandbox.tunnelUp = false;
  }

  private instanceSpec(parsed: ReturnType<typeof parseSandboxAnnotations>): InstanceTypeSpec {
    const spec: InstanceTypeSpec = {
      instanceType: parsed.instanceType,
      vcpus: parsed.vcpus,
      memoryMiB: parsed.memoryMiB,
      gpus: parsed.gpus,
      image: parsed.image,
      multiNic: false,
      volumes: [],
    };
    const catalog = this.deps.provider.instanceTypeCatalog?.();
    if (catalog) spec.instanceType = selectInstanceType(spec, catalog).instanceType;
    return spec;
  }

  private userDataFiles(
    apfJson: string,
    initdataAnnotation: string | undefined,
    authJson: string | undefined,
  ): UserDataFile[] {
    const files: UserDataFile[] = [{ path: '/run/peerpod/apf.json', content: apfJson }];
    if (authJson) files.push({ path: '/run/peerpod/auth.json', content: authJson });
    // A per-pod annotation wins (kata hands it over raw: re-encode it); else the global -initdata as is.
    const initdata = initdataAnnotation
      ? encodeInitdataAnnotation(initdataAnnotation)
      : this.deps.config.initdata;
    if (initdata) files.push({ path: '/run/peerpod/initdata', content: initdata });
    if (this.deps.config.enableScratchSpace)
      files.push({ path: '/run/peerpod/scratch-space.marker', content: '' });
    return files;
  }
}
