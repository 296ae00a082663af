import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type ContainerResult,
  DEFAULT_CONTAINER_ENV,
  deleteBridge,
  type LaunchedSandbox,
  type LaunchOptions,
  launchSandbox,
  podNetnsName,
  type RunContainerOptions,
  randomId,
  type StepTiming,
  type TeardownResult,
  teardownSandbox,
} from '@peerpods/shim-client';
import { AdaptorProcess, adaptorPaths } from './adaptor-process';
import { type ApiserverInWorker, startApiserverInWorker } from './apiserver-in-worker';
import { FakeCloudProcess } from './fake-cloud';
import { findLeftovers, type LeftoverScope, removeLeftovers } from './leftovers';
import { LibvirtCloud } from './libvirt-cloud';
import { podvmImage } from './podvm-image';
import type { DemoCloud, DemoProvider } from './provider-launch';
import { VsphereCloud } from './vsphere-cloud';
import { createWorkerNode, removeWorkerNode, type WorkerNode } from './worker-node';
import { startWorkerWebServer } from './worker-web-server';

const execFileAsync = promisify(execFile);

export interface LocalNodeOptions {
  /** Where the built binaries are (dist/bin). */
  binDir: string;
  /** Worker namespace name; unique per run. */
  name: string;
  /** Extra cloud-api-adaptor flags. */
  adaptorArgs?: readonly string[];
  /** More environment for cloud-api-adaptor. */
  adaptorEnv?: Readonly<Record<string, string>>;
  /**
   * Kubernetes mode: a fake kube-apiserver reachable from the worker, holding a Node named after it,
   * and the daemon started with KUBECONFIG, NODE_NAME, CLOUD_PROVIDER and this POD_UID.
   */
  kubernetes?: { podUid: string };
  /**
   * Default `local`; `aws` and `azure` run the daemon's provider against its fake cloud in the worker;
   * `libvirt` against a real libvirtd there, booting QEMU VMs from an image built with dist/bin.
   */
  provider?: DemoProvider;
  /** libvirt: the pod VM image (qcow2) to upload; default one built (or reused) by {@link podvmImage}. */
  libvirtImage?: string;
}

/**
 * One worker node on this machine: its network namespace, cloud-api-adaptor with the local provider
 * running in it, and a web server there. Pods are created the way kubelet, a CNI plugin and the kata
 * shim would (`@peerpods/shim-client`). Used by `npm start`, the end-to-end tests and the benchmark.
 */
export class LocalNode {
  adaptor: AdaptorProcess;
  readonly #stopWeb: () => Promise<void>;
  /** CNI namespaces of every pod launched, for the leak check. */
  readonly #podNamespaces = new Set<string>();

  private constructor(
    readonly worker: WorkerNode,
    readonly dir: string,
    adaptor: AdaptorProcess,
    stopWeb: () => Promise<void>,
    private readonly options: LocalNodeOptions,
    /** The fake cloud, or libvirtd, behind the provider; absent with the local provider. */
    readonly cloud: DemoCloud | undefined,
    /** Kubernetes mode's fake API server. */
    readonly kube: ApiserverInWorker | undefined,
  ) {
    this.adaptor = adaptor;
    this.#stopWeb = stopWeb;
  }

  /** The fake cloud behind an aws or azure node, for tests that set its faults or read its state. */
  get fakeCloud(): FakeCloudProcess {
    if (!(this.cloud instanceof FakeCloudProcess))
      throw new Error(`node ${this.worker.name} runs no fake cloud`);
    return this.cloud;
  }

  static async start(options: LocalNodeOptions): Promise<LocalNode> {
    const dir = await mkdtemp(join(tmpdir(), `${options.name}-`));
    let worker: WorkerNode | undefined;
    let web: { stop: () => Promise<void> } | undefined;
    let cloud: DemoCloud | undefined;
    let kube: ApiserverInWorker | undefined;
    try {
      worker = await createWorkerNode(options.name);
      web = await startWorkerWebServer(worker);
      if (options.kubernetes) {
        kube = await startApiserverInWorker(worker);
        kube.fake.put('nodes', { metadata: { name: worker.name }, status: { capacity: { cpu: '2' } } });
        options = {
          ...options,
          adaptorEnv: {
            ...options.adaptorEnv,
            KUBECONFIG: kube.kubeconfigPath,
            NODE_NAME: worker.name,
            POD_UID: options.kubernetes.podUid,
            CLOUD_PROVIDER: options.provider ?? 'local',
          },
        };
      }
      if (options.provider === 'vsphere') {
        cloud = await VsphereCloud.start({ worker, binDir: options.binDir, paths: adaptorPaths(dir), dir });
      } else if (options.provider === 'libvirt') {
        const image = options.libvirtImage ?? (await podvmImage(options.binDir)).path;
        cloud = await LibvirtCloud.start({ worker, image });
      } else if (options.provider && options.provider !== 'local') {
        cloud = await FakeCloudProcess.start({
          provider: options.provider,
          binDir: options.binDir,
          worker,
          paths: adaptorPaths(dir),
          dir,
        });
      }
      const adaptor = await AdaptorProcess.start({
        binDir: options.binDir,
        worker,
        dir,
        extraArgs: options.adaptorArgs,
        provider: cloud?.launch(),
        env: options.adaptorEnv,
      });
      return new LocalNode(worker, dir, adaptor, web.stop, options, cloud, kube);
    } catch (error) {
      await kube?.stop();
      await cloud?.stop();
      await web?.stop();
      if (worker) await removeWorkerNode(worker);
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Pod network (on cni0 in the worker), CreateVM, StartVM, agent Check and CreateSandbox. */
  async launchPod(
    options: Omit<LaunchOptions, 'socketPath' | 'network' | 'stateDir'> = {},
  ): Promise<LaunchedSandbox> {
    const id = options.id ?? randomId();
    this.#podNamespaces.add(podNetnsName(id));
    return launchSandbox({
      // The pod name starts with the node's, so instance names say which run they belong to.
      podName: this.options.name,
      ...options,
      id,
      socketPath: this.adaptor.paths.socket,
      network: { workerNetns: this.worker.path, ipamDir: join(this.dir, 'ipam') },
      stateDir: false,
    });
  }

  /**
   * Runs a container in the pod, its environment carrying this node's marker so that the leak check
   * can find it even after its namespace is gone.
   */
  exec(pod: LaunchedSandbox, options: RunContainerOptions): Promise<ContainerResult> {
    return pod.agent.runContainer({
      ...options,
      env: [...(options.env ?? DEFAULT_CONTAINER_ENV), this.containerMarker],
    });
  }

  /** `PEERPODS_LOCAL_NODE=<name>`, in every container {@link exec} starts. */
  get containerMarker(): string {
    return `PEERPODS_LOCAL_NODE=${this.options.name}`;
  }

  /** DestroySandbox, StopVM, pod network removed. */
  stopPod(pod: LaunchedSandbox, onStep?: (timing: StepTiming) => void): Promise<TeardownResult> {
    return teardownSandbox(pod.state, {
      hypervisor: pod.hypervisor,
      agent: pod.agent,
      stateDir: false,
      onStep,
    });
  }

  /**
   * GET `http://127.0.0.1:<port><path>` from inside the worker's namespace (where the daemon's
   * -metrics-addr listens), with curl: the body, or the error curl gave.
   */
  async fetchInWorker(port: number, path = '/metrics'): Promise<string> {
    const { stdout } = await execFileAsync('ip', [
      'netns',
      'exec',
      this.worker.name,
      'curl',
      '-sS',
      '--fail-with-body',
      '--max-time',
      '10',
      `http://127.0.0.1:${port}${path}`,
    ]);
    return stdout;
  }

  /** Starts the daemon again after {@link AdaptorProcess.kill} (a crash). */
  async restartAdaptor(): Promise<void> {
    this.adaptor = await this.#startAdaptor({});
  }

  /**
   * A second daemon beside the running one, as a DaemonSet's surge rollout starts it (Kubernetes
   * mode: `env` gives it its own POD_UID). Resolves once it serves; from then on it is this node's
   * daemon, and the previous one is returned for the caller to stop.
   */
  async surgeAdaptor(env: Readonly<Record<string, string>>): Promise<AdaptorProcess> {
    const previous = this.adaptor;
    this.adaptor = await this.#startAdaptor(env);
    return previous;
  }

  #startAdaptor(env: Readonly<Record<string, string>>): Promise<AdaptorProcess> {
    return AdaptorProcess.start({
      binDir: this.options.binDir,
      worker: this.worker,
      dir: this.dir,
      extraArgs: this.options.adaptorArgs,
      provider: this.cloud?.launch(),
      env: { ...this.options.adaptorEnv, ...env },
    });
  }

  /** What is left of pods that should be gone (the daemon still running). */
  leftoversWhileRunning(): Promise<string[]> {
    return findLeftovers({ ...this.scope(false), exceptPids: [this.adaptor.pid] });
  }

  /** What is left once the daemon has exited by itself (its bridge and files count too). */
  leftoversAfterDaemon(): Promise<string[]> {
    return findLeftovers(this.scope(true));
  }

  /**
   * Stops the daemon (which stops any pod left and removes its bridge), then checks that nothing is
   * left, then removes whatever was (so a failed run does not pollute the machine), the worker node
   * and the directory. Resolves with what was left.
   */
  async stop(): Promise<string[]> {
    try {
      await this.adaptor.stop();
      // Instances the daemon did not delete still cost money on a real cloud: they count as leaks.
      const cloud = this.cloud;
      const instances = cloud
        ? await cloud.settledInstances().then(
            (lines) => lines.map((line) => `${line} still in ${cloud.name}`),
            (error: unknown) => [`${cloud.name} did not answer its control API: ${(error as Error).message}`],
          )
        : [];
      await this.cloud?.stop();
      await this.kube?.stop();
      await deleteBridge({ workerNetns: this.worker.path });
      const left = [...instances, ...(await findLeftovers(this.scope(true)))];
      if (left.length > 0) await removeLeftovers(this.scope(true));
      return left;
    } finally {
      await this.#stopWeb();
      await removeWorkerNode(this.worker);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private scope(daemonStopped: boolean): LeftoverScope {
    return {
      worker: this.worker,
      paths: this.adaptor.paths,
      namespacePrefixes: this.namespacePrefixes(),
      daemonStopped,
      containerMarker: this.containerMarker,
    };
  }

  /** Instance names start `podvm-<pod>-`, so only this run's pods count (tests run side by side). */
  private namespacePrefixes(): string[] {
    return [`podvm-${this.options.name}`, ...this.#podNamespaces];
  }
}
