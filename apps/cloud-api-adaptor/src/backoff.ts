import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Total budget in ms; the last attempt gets whatever is left. */
  budgetMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Called before each retry with the error that caused it. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `attempt` until it succeeds, with exponential backoff capped at `maxDelayMs`, within a total
 * budget and an AbortSignal. Each attempt receives the time it may take. The last error is thrown.
 */
export async function retryWithBackoff<T>(
  attempt: (remainingMs: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const deadline = performance.now() + options.budgetMs;
  let delay = options.initialDelayMs ?? 100;
  const maxDelay = options.maxDelayMs ?? 2000;
  for (let count = 1; ; count++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(Math.max(1, deadline - performance.now()));
    } catch (error) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 || options.signal?.aborted) throw error;
      options.onRetry?.(error, count);
      await sleep(Math.min(delay, remaining), undefined, { signal: options.signal });
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
