import type { Logger } from '@peerpods/log';
import type { OwnedInstance, Provider } from '@peerpods/providers';
import type { SweepReport } from './metrics/daemon-metrics';

export interface OrphanSweeperOptions {
  provider: Pick<Provider, 'listInstances' | 'deleteInstance'>;
  /** Whether a live sandbox of this daemon holds the instance (or is the one it was made for). */
  holds: (instance: OwnedInstance) => boolean;
  intervalMs: number;
  graceMs: number;
  dryRun: boolean;
  log: Logger;
  now?: () => number;
  /** Told of every round, a failed listing included (metrics). */
  onRound?: (report: SweepReport) => void;
}

export interface SweepRound {
  /** Unheld and past the grace period: deleted (or, in a dry run, would be). */
  orphans: OwnedInstance[];
  deleted: string[];
  /** Unheld but younger than the grace period. */
  young: OwnedInstance[];
}

/**
 * Deletes this node's pod VMs that no sandbox of this daemon holds and that are older than the
 * grace period: instances a crash left between their creation and the sandbox record, or whose
 * records were lost. The provider lists only this node's instances (its ownership tags), so another
 * node's are never seen. Runs once at start and then every interval; one round at a time.
 */
export class OrphanSweeper {
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<SweepRound> | undefined;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(private readonly options: OrphanSweeperOptions) {}

  /** The first round now, then one every interval (none at all with an interval of 0). */
  start(): void {
    if (this.options.intervalMs <= 0) return;
    const tick = () => {
      this.sweepOnce()
        .catch((error: unknown) => this.options.log.warn(`orphan sweep: ${(error as Error).message}`))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    tick();
  }

  /** Stops the timer and gives up a round in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error('the daemon is shutting down'));
    await this.#round?.catch(() => {});
  }

  /** One round (shared with one already running). */
  sweepOnce(): Promise<SweepRound> {
    this.#round ??= this.#sweep()
      .catch((error: unknown) => {
        this.options.onRound?.({ outcome: 'error', deleted: 0, failedDeletes: 0 });
        throw error;
      })
      .finally(() => {
        this.#round = undefined;
      });
    return this.#round;
  }

  async #sweep(): Promise<SweepRound> {
    const { provider, log, graceMs, dryRun } = this.options;
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(120_000)]);
    const listed = await provider.listInstances(signal);
    const now = this.options.now?.() ?? Date.now();
    const unheld = listed.filter((instance) => !this.options.holds(instance));
    const orphans = unheld.filter((instance) => now - instance.createdAt.getTime() >= graceMs);
    const young = unheld.filter((instance) => !orphans.includes(instance));
    const deleted: string[] = [];
    let failedDeletes = 0;
    for (const instance of orphans) {
      // Held since the listing (a StartVM recorded it meanwhile): not an orphan.
      if (this.options.holds(instance)) continue;
      const what = `orphan pod VM ${instance.id}${instance.name && instance.name !== instance.id ? ` (${instance.name})` : ''}, ${ageOf(now - instance.createdAt.getTime())} old, held by no sandbox`;
      if (dryRun) {
        log.info(`dry run: would delete ${what}`);
        continue;
      }
      try {
        await provider.deleteInstance(
          instance.id,
          AbortSignal.any([this.#abort.signal, AbortSignal.timeout(600_000)]),
        );
        deleted.push(instance.id);
        log.info(`deleted ${what}`);
      } catch (error) {
        failedDeletes += 1;
        log.warn(`deleting ${what}: ${(error as Error).message}`);
      }
    }
    for (const instance of young) {
      log.debug(
        `kept unheld pod VM ${instance.id}: ${ageOf(now - instance.createdAt.getTime())} old, inside the grace period`,
      );
    }
    this.options.onRound?.({ outcome: 'success', deleted: deleted.length, failedDeletes });
    return { orphans, deleted, young };
  }
}

function ageOf(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
