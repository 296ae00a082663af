import { type BucketRate, TokenBucket } from '@peerpods/fake-cloud-kit';
import { throttled } from './ec2-error';
import type { QueryParams } from './query-params';

/**
 * EC2's published defaults: each non-mutating (Describe*) action has its own bucket of 100 requests
 * refilled at 20 a second; RunInstances draws on a resource bucket of 1000 instances refilled at 2 a
 * second, and TerminateInstances on one of 1000 refilled at 20.
 */
export const EC2_DEFAULT_RATES: Readonly<
  Record<'describe' | 'RunInstances' | 'TerminateInstances', BucketRate>
> = {
  describe: { capacity: 100, refillPerSecond: 20 },
  RunInstances: { capacity: 1000, refillPerSecond: 2 },
  TerminateInstances: { capacity: 1000, refillPerSecond: 20 },
};

export interface ThrottleSettings {
  rates?: Partial<Record<keyof typeof EC2_DEFAULT_RATES, BucketRate>>;
  /** Start with empty buckets: an account whose other clients used them up. */
  startEmpty?: boolean;
}

/** One bucket per action (Describe* each their own), charged per request or per instance. */
export class Ec2Throttle {
  readonly #buckets = new Map<string, TokenBucket>();
  throttledCount = 0;

  constructor(private readonly settings: ThrottleSettings) {}

  /** Throws RequestLimitExceeded when the action's bucket is short. */
  charge(action: string, params: QueryParams): void {
    const kind = action.startsWith('Describe') ? 'describe' : action;
    if (kind !== 'describe' && kind !== 'RunInstances' && kind !== 'TerminateInstances') return;
    const rate = this.settings.rates?.[kind] ?? EC2_DEFAULT_RATES[kind];
    let bucket = this.#buckets.get(action);
    if (!bucket) {
      bucket = new TokenBucket(rate, this.settings.startEmpty ? 0 : rate.capacity);
      this.#buckets.set(action, bucket);
    }
    const cost =
      kind === 'RunInstances'
        ? Math.max(1, Number(params.get('MaxCount') ?? 1))
        : kind === 'TerminateInstances'
          ? Math.max(1, params.list('InstanceId').length)
          : 1;
    if (!bucket.take(cost)) {
      this.throttledCount++;
      throw throttled();
    }
  }
}
