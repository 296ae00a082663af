import { type BucketRate, TokenBucket } from '@peerpods/fake-cloud-kit';
import { ArmError } from './arm-error';

/** ARM's published defaults per subscription: reads 250 refilled at 25/s; writes and deletes 200 at 10/s. */
export const ARM_DEFAULT_RATES: Readonly<Record<'reads' | 'writes' | 'deletes', BucketRate>> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

export interface ArmThrottleSettings {
  rates?: Partial<Record<keyof typeof ARM_DEFAULT_RATES, BucketRate>>;
  startEmpty?: boolean;
}

/** Throws 429 with Retry-After (whole seconds until a token is back), as ARM answers. */
export class ArmThrottle {
  readonly #buckets: Record<keyof typeof ARM_DEFAULT_RATES, TokenBucket>;
  throttledCount = 0;

  constructor(settings: ArmThrottleSettings) {
    const bucket = (kind: keyof typeof ARM_DEFAULT_RATES) => {
      const rate = settings.rates?.[kind] ?? ARM_DEFAULT_RATES[kind];
      return new TokenBucket(rate, settings.startEmpty ? 0 : rate.capacity);
    };
    this.#buckets = { reads: bucket('reads'), writes: bucket('writes'), deletes: bucket('deletes') };
  }

  charge(method: string): void {
    const kind = method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
    const bucket = this.#buckets[kind];
    if (bucket.take()) return;
    this.throttledCount++;
    const retryAfter = Math.max(1, Math.ceil(1 / bucket.rate.refillPerSecond));
    throw new ArmError(
      429,
      'TooManyRequests',
      `The request is being throttled as the limit has been reached for operation type - ${kind === 'reads' ? 'Read' : kind === 'writes' ? 'Write' : 'Delete'}_ObservationWindow_00:01:00.`,
      retryAfter,
    );
  }
}
