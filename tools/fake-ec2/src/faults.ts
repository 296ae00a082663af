/**
 * Trouble on request, set at start (`--fault`) or at run time (`POST /_fake/faults`). Each field is
 * off when absent.
 */
export interface Ec2Faults {
  /** Answer the next N calls of these actions with InternalError (500). */
  internalErrors?: Record<string, number>;
  /**
   * RunInstances only: make the instance, then answer 500 anyway, N times (the client never learns
   * the id and must retry; with the same ClientToken it gets the same instance back).
   */
  failAfterRunInstances?: number;
  /** Hold every call of these actions this long (ms) before answering. */
  delays?: Record<string, number>;
  /** For this long (ms) after its launch, an instance is InvalidInstanceID.NotFound to Describe and Terminate. */
  notFoundAfterLaunchMs?: number;
  /** Launched instances get their network but never boot (no user-data fetch, no forwarder). */
  neverBoot?: boolean;
}

/** Takes one from a counter of `internalErrors`-style maps; true when the fault fires. */
export function consume(counters: Record<string, number> | undefined, key: string): boolean {
  const left = counters?.[key] ?? 0;
  if (left <= 0 || !counters) return false;
  counters[key] = left - 1;
  return true;
}
