/** A token bucket as EC2 and ARM describe their throttling: `capacity` tokens, refilled continuously. */
export interface BucketRate {
  capacity: number;
  refillPerSecond: number;
}

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly rate: BucketRate,
    /** Tokens at the start; default full. An empty start is an account that others have drained. */
    initial = rate.capacity,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = Math.min(initial, rate.capacity);
    this.#at = now();
  }

  /** Takes `count` tokens if there are that many; false (and nothing taken) otherwise. */
  take(count = 1): boolean {
    const now = this.now();
    this.#tokens = Math.min(
      this.rate.capacity,
      this.#tokens + ((now - this.#at) / 1000) * this.rate.refillPerSecond,
    );
    this.#at = now;
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }
}
