import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ProviderLaunch } from './provider-launch';
import type { WorkerNode } from './worker-node';

export interface AdaptorPaths {
  /** The daemon's hypervisor socket (what the kata shim dials). */
  socket: string;
  podsDir: string;
  /** The local provider's state directory (one directory per pod VM). */
  stateDir: string;
}

export function adaptorPaths(dir: string): AdaptorPaths {
  return { socket: join(dir, 'hypervisor.sock'), podsDir: join(dir, 'pods'), stateDir: join(dir, 'local') };
}

/** StartVM's phases as the daemon logs them (`started sandbox ID in N ms (instance …, tunnel …, proxy …)`). */
export interface StartPhases {
  totalMs: number;
  instanceMs: number;
  tunnelMs: number;
  proxyMs: number;
}

const STARTED =
  /started sandbox (\S+) in ([\d.]+) ms \(instance ([\d.]+) ms, tunnel ([\d.]+) ms, proxy ([\d.]+) ms\)/g;

/**
 * cloud-api-adaptor with the local provider, as a process inside the worker node's network namespace.
 * It is entered with `nsenter --net` rather than `ip netns exec`: the latter would also give the
 * daemon a private mount namespace, hiding the pod-VM namespaces it creates from everyone else.
 */
export class AdaptorProcess {
  readonly paths: AdaptorPaths;
  readonly #child: ChildProcess;
  #output = '';
  readonly #exited: Promise<unknown>;

  private constructor(child: ChildProcess, paths: AdaptorPaths) {
    this.#child = child;
    this.paths = paths;
    const collect = (chunk: Buffer) => {
      this.#output += chunk;
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.#exited = once(child, 'exit');
  }

  /** Starts the daemon and resolves once it serves; rejects with its output when it exits instead. */
  static async start(options: {
    binDir: string;
    worker: WorkerNode;
    dir: string;
    extraArgs?: readonly string[];
    /** The provider's name, flags and environment; default the local provider on `dir`. */
    provider?: ProviderLaunch;
    /** More environment for the daemon (Kubernetes mode's NODE_NAME, KUBECONFIG…). */
    env?: Readonly<Record<string, string>>;
    timeoutMs?: number;
  }): Promise<AdaptorProcess> {
    const paths = adaptorPaths(options.dir);
    const child = spawn(
      'nsenter',
      [
        `--net=${options.worker.path}`,
        join(options.binDir, 'cloud-api-adaptor'),
        ...(options.provider?.args ?? [
          'local',
          '-local-state-dir',
          paths.stateDir,
          '-local-bin-dir',
          options.binDir,
        ]),
        '-socket',
        paths.socket,
        '-pods-dir',
        paths.podsDir,
        ...(options.extraArgs ?? []),
      ],
      // Its own process group: a Ctrl-C at the terminal is for the demo, which stops the daemon in order.
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, ...options.provider?.env, ...options.env },
      },
    );
    const adaptor = new AdaptorProcess(child, paths);
    try {
      await adaptor.waitForLog(/server started, listening on/, options.timeoutMs ?? 30_000);
    } catch (error) {
      await adaptor.kill();
      throw error;
    }
    return adaptor;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The signal that ended the daemon, if one did. */
  get signal(): NodeJS.Signals | null {
    return this.#child.signalCode;
  }

  get output(): string {
    return this.#output;
  }

  /** Resolves when the output matches; rejects when the daemon exits first or time runs out. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
        throw new Error(
          `cloud-api-adaptor exited (${this.#child.exitCode ?? this.#child.signalCode}):\n${this.#output}`,
        );
      }
      if (performance.now() > until) {
        throw new Error(`cloud-api-adaptor did not log ${pattern} within ${timeoutMs} ms:\n${this.#output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The StartVM phases the daemon logged for a sandbox, once it has. */
  startPhases(sandboxId: string): StartPhases | undefined {
    for (const match of this.#output.matchAll(STARTED)) {
      if (match[1] === sandboxId) {
        return {
          totalMs: Number(match[2]),
          instanceMs: Number(match[3]),
          tunnelMs: Number(match[4]),
          proxyMs: Number(match[5]),
        };
      }
    }
    return undefined;
  }

  /** SIGTERM: the daemon stops every sandbox and the provider removes its bridge. Resolves with the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
    return this.#child.exitCode;
  }

  /**
   * A signal to the daemon's whole process group, as a terminal's Ctrl-C or a wrapper relaying it
   * reaches every process in it: the first, then the same again every `everyMs` until the daemon
   * logs `until` (the daemon takes those as echoes of the first; the children of its teardown must
   * not die of them). Resolves with the exit code once the daemon has exited.
   */
  async signalGroup(signal: NodeJS.Signals, everyMs: number, until: RegExp): Promise<number | null> {
    const send = () => {
      if (until.test(this.#output)) {
        clearInterval(relay);
        return;
      }
      try {
        process.kill(-this.pid, signal);
      } catch {
        // The group is gone: the daemon and its children have exited.
      }
    };
    const relay = setInterval(send, everyMs);
    send();
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 60_000);
    await this.#exited;
    clearInterval(relay);
    clearTimeout(killer);
    return this.#child.exitCode;
  }

  /** SIGKILL, as a crash: nothing is cleaned up. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
