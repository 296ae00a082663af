/**
 * A pod-networking step failed. The message names the side and the step, then the cause (for a
 * netops command: its command line and stderr), e.g.
 * `worker setup of vni 555003 failed at "create vxlan link": ip -n w -batch -: exit 2: ...`.
 * Whatever the step had done was undone before this was thrown.
 */
export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
  readonly step: string;

  constructor(what: string, step: string, cause: unknown) {
    super(`${what} failed at "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.step = step;
  }
}

/** Runs `fn`; on failure runs `undo` (its own errors are ignored) and throws a PodNetworkError. */
export async function step<T>(what: string, name: string, fn: () => Promise<T>, undo?: () => Promise<void>) {
  try {
    return await fn();
  } catch (error) {
    if (undo !== undefined) await undo().catch(() => {});
    if (error instanceof PodNetworkError) throw error;
    throw new PodNetworkError(what, name, error);
  }
}
