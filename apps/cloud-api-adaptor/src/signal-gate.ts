/**
 * What a SIGTERM/SIGINT means to the daemon: the first asks for an orderly stop; a later one means
 * "now" (a start or stop that hangs, a cloud API not answering, must not make the daemon unkillable
 * short of SIGKILL); one within a moment of the first is the same Ctrl-C, relayed by a wrapper (npm,
 * tsx) as well as sent by the terminal, and changes nothing.
 */
export type SignalDecision = 'stop' | 'ignore' | 'exit';

/** How close two signals must be to count as one Ctrl-C delivered twice. */
export const SIGNAL_ECHO_MS = 500;

export class SignalGate {
  #firstAt: number | undefined;

  decide(nowMs: number): SignalDecision {
    if (this.#firstAt === undefined) {
      this.#firstAt = nowMs;
      return 'stop';
    }
    return nowMs - this.#firstAt < SIGNAL_ECHO_MS ? 'ignore' : 'exit';
  }

  get requested(): boolean {
    return this.#firstAt !== undefined;
  }
}
