/** One cloud API call as a provider's SDK made it: all of its attempts together. */
export interface CloudApiCall {
  /** The API's name for it: `RunInstances`, `PUT Microsoft.Compute/virtualMachines`, `CreateVM_Task`. */
  operation: string;
  outcome: 'success' | 'error';
  /** Requests sent: 1 without a retry. */
  attempts: number;
  /** Attempts the cloud refused as throttled (HTTP 429, RequestLimitExceeded, ...). */
  throttled: number;
  seconds: number;
}

/** Told of every cloud API call a provider makes (metrics); it must not throw. */
export type CloudApiObserver = (call: CloudApiCall) => void;

/** Counts the attempts of one call, for SDK hooks that see each request the retry loop sends. */
export interface AttemptTally {
  attempts: number;
  throttled: number;
}

/** How to read a call's result: some SDKs return a failed response rather than throw. */
export interface ApiCallReading<T> {
  /** Whether a thrown error was the cloud throttling (for calls nobody counted per attempt). */
  isThrottled?: (error: unknown) => boolean;
  /** Whether a returned result is a failure all the same (an HTTP response of 400 or more). */
  isFailure?: (result: T) => boolean;
}

/**
 * Runs one API call and reports it. `work` gets the call's tally for per-attempt hooks; when no
 * hook counts, the call was one attempt.
 */
export async function observeApiCall<T>(
  observe: CloudApiObserver | undefined,
  operation: string,
  work: (tally: AttemptTally) => Promise<T>,
  reading: ApiCallReading<T> = {},
): Promise<T> {
  const tally: AttemptTally = { attempts: 0, throttled: 0 };
  if (!observe) return work(tally);
  const began = performance.now();
  const report = (outcome: CloudApiCall['outcome']) =>
    observe({
      operation,
      outcome,
      attempts: Math.max(tally.attempts, 1),
      throttled: tally.throttled,
      seconds: (performance.now() - began) / 1000,
    });
  try {
    const result = await work(tally);
    report(reading.isFailure?.(result) ? 'error' : 'success');
    return result;
  } catch (error) {
    // A call whose attempts nobody counted: its one failure may itself be a throttle.
    if (tally.attempts === 0 && reading.isThrottled?.(error)) tally.throttled = 1;
    report('error');
    throw error;
  }
}
