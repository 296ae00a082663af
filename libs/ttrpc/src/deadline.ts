import { performance } from 'node:perf_hooks';

/** The longest delay setTimeout honours; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A point in time by the monotonic clock, as a ttrpc call's budget. It converts to and from
 * `timeout_nano` (a budget relative to send time) so a proxy can pass the remaining time on.
 */
export class Deadline {
  private constructor(private readonly at: number) {}

  static after(ms: number): Deadline {
    return new Deadline(performance.now() + ms);
  }

  /** From a received timeout_nano; undefined when it is 0 (no deadline). */
  static fromTimeoutNano(timeoutNano: number): Deadline | undefined {
    return timeoutNano === 0 ? undefined : Deadline.after(timeoutNano / 1e6);
  }

  /** The earlier of two optional deadlines. */
  static earliest(a: Deadline | undefined, b: Deadline | undefined): Deadline | undefined {
    if (!a) return b;
    if (!b) return a;
    return a.at <= b.at ? a : b;
  }

  remainingMs(): number {
    return this.at - performance.now();
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** What to put in timeout_nano now; negative once passed, as Go sends it. Never 0 (that means none). */
  timeoutNano(): number {
    const nanos = Math.round(this.remainingMs() * 1e6);
    return nanos === 0 ? -1 : nanos;
  }
}
