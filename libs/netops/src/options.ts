import type { CommandRunner } from './command';

/** What every operation takes: where to run it, and how. */
export interface NetopsOptions {
  /**
   * The network namespace, as a path: `/run/netns/NAME` (or `/var/run/netns/NAME`) for a named one,
   * anything else (`/proc/PID/ns/net`, a bind mount) through nsenter. Absent: the caller's own netns.
   */
  readonly netns?: string;
  /** Per command; default 30 s. */
  readonly timeoutMs?: number;
  /** Replaces the real process runner (tests, dry runs, logging). */
  readonly run?: CommandRunner;
}
