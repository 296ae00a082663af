import type { NodeWatch } from '@peerpods/kube-client';
import type { Logger } from '@peerpods/log';
import type { KubernetesMode } from './kubernetes-mode';
import { PEERPODS_RESOURCE } from './node-capacity';
import { watchOwnership } from './ownership-watch';

export interface HandoverDeps {
  cluster: KubernetesMode;
  log: Logger;
  /** Everything but the socket: probe, sweeps, sandboxes (running ones kept), provider. Resolves how many were kept. */
  leave: () => Promise<number>;
  /** Stops serving the hypervisor socket: the new daemon takes it from then on. */
  releaseSocket: () => Promise<void>;
  /** Whether the socket path is still this daemon's (a successor that took it over replaced the file). */
  servesSocket: () => boolean;
  /** After the socket is released: the provider's clients go, its instances stay. */
  teardown: () => Promise<void>;
  pollIntervalMs?: number;
}

/**
 * The old daemon's side of a surge rollout (Kubernetes mode): once the node's owner annotation names
 * a newer daemon pod, this one leaves its running sandboxes to it, releases the socket last, and
 * stays idle until deleted, since exiting would make kubelet restart it and claim the node back.
 */
export class Handover {
  #done: Promise<void> | undefined;
  #idle: NodeJS.Timeout | undefined;
  #stopping = false;
  readonly #watch: NodeWatch;

  constructor(private readonly deps: HandoverDeps) {
    const { cluster } = deps;
    this.#watch = watchOwnership({
      api: cluster.api,
      nodeName: cluster.nodeName,
      podUid: cluster.podUid,
      log: deps.log.child('k8s'),
      pollIntervalMs: deps.pollIntervalMs,
      // Once SIGTERM's own decision is under way, a late report must not start a second one.
      onSuperseded: (owner) => {
        if (!this.#stopping) void this.to(owner);
      },
    });
  }

  /** Whether this daemon handed over (or is handing over). */
  get started(): boolean {
    return this.#done !== undefined;
  }

  to(newOwner: string): Promise<void> {
    this.#done ??= (async () => {
      const { log, cluster } = this.deps;
      log.info(
        `node ${cluster.nodeName} is now owned by daemon pod ${newOwner}: handing the running sandboxes over to it`,
      );
      // Each step runs whatever the one before did: an exit here would make kubelet restart this
      // pod, which would claim the node (and the pods) back.
      this.#idle = setInterval(() => {}, 2 ** 30);
      const step = async <T>(what: string, work: () => Promise<T>, fallback: T): Promise<T> =>
        work().catch((error: unknown) => {
          log.warn(`handing over: ${what}: ${(error as Error).message}`);
          return fallback;
        });
      const kept = await step('leaving the sandboxes', this.deps.leave, 0);
      await step('releasing the socket', this.deps.releaseSocket, undefined);
      await step('tearing the provider down', this.deps.teardown, undefined);
      log.info(
        `handed ${kept} running sandbox(es) over to daemon pod ${newOwner}; serving nothing until this pod is deleted`,
      );
    })();
    return this.#done;
  }

  /**
   * At SIGTERM: the owner withdraws the node's capacity (upstream's rule) and resolves false, to
   * stop as usual. A daemon that is no longer the owner, whether the watch told it yet or not,
   * hands over (if it has not) and resolves true: it touches neither capacity nor socket. A
   * successor that took the socket over settles it without the API; when the API cannot answer and
   * the socket is still ours, nobody took over, and the stop is the usual one.
   */
  async atStop(): Promise<boolean> {
    this.#stopping = true;
    this.#watch.stop();
    const { cluster, log } = this.deps;
    if (!this.#done) {
      let superseded = !this.deps.servesSocket();
      if (!superseded) {
        superseded = !(await cluster.capacity.withdrawIfOwner().catch((error: unknown) => {
          log.warn(
            `withdrawing ${PEERPODS_RESOURCE} from node ${cluster.nodeName}: ${(error as Error).message}`,
          );
          return true;
        }));
      }
      if (superseded) void this.to(await cluster.capacity.owner().catch(() => 'another daemon pod'));
    }
    if (!this.#done) return false;
    await this.#done;
    clearInterval(this.#idle);
    return true;
  }
}
