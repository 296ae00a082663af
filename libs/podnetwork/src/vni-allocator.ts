/**
 * Hands out tunnel indexes (VNI = minId + index): the lowest index that neither this process holds
 * nor the kernel uses. The pick is synchronous once the kernel's VNIs are known, so concurrent
 * callers never get the same index.
 */
export class VniAllocator {
  private readonly held = new Set<number>();

  constructor(readonly minId: number) {}

  /** `inUse`: VNIs the kernel already has (read just before). */
  allocate(inUse: Iterable<number> = []): number {
    const kernel = new Set(inUse);
    for (let index = 0; ; index++) {
      if (!this.held.has(index) && !kernel.has(this.minId + index)) {
        this.held.add(index);
        return index;
      }
    }
  }

  /** Holds `index` (a tunnel taken over after a restart); holding it twice is fine. */
  reserve(index: number): void {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`invalid tunnel index ${index}`);
    this.held.add(index);
  }

  release(index: number): void {
    this.held.delete(index);
  }

  get size(): number {
    return this.held.size;
  }
}
