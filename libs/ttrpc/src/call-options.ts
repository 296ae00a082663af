import type { Deadline } from './deadline';
import type { Metadata } from './metadata';

/**
 * Something that can cancel a call without the cost of an AbortController per call: a ServerCall is
 * one, so a proxy cancels the upstream call when its own caller goes away.
 */
export interface CancellationSource {
  readonly aborted: boolean;
  /** Registers a listener; returns the function that removes it. */
  onAbort(listener: () => void): () => void;
}

/** Per-call options of the client. */
export interface CallOptions {
  /** Budget for the call in ms: sent as timeout_nano and enforced locally. */
  timeoutMs?: number;
  /** An absolute deadline (e.g. an incoming call's, when forwarding). The earlier of the two wins. */
  deadline?: Deadline;
  metadata?: Metadata;
  /** Aborting fails the call at once with Canceled; a late response is dropped. */
  signal?: AbortSignal;
  /** Like `signal`, for a CancellationSource (what forwarding uses on its hot path). */
  cancel?: CancellationSource;
}
