import type { Deadline } from './deadline';
import type { Metadata } from './metadata';

/** Per-call options of the client. */
export interface CallOptions {
  /** Budget for the call in ms: sent as timeout_nano and enforced locally. */
  timeoutMs?: number;
  /** An absolute deadline (e.g. an incoming call's, when forwarding). The earlier of the two wins. */
  deadline?: Deadline;
  metadata?: Metadata;
  /** Aborting fails the call at once with Canceled; a late response is dropped. */
  signal?: AbortSignal;
}
