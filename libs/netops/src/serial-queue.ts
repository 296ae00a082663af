/**
 * Runs tasks one after another. iptables' `-w` only serialises single commands; a check-then-append
 * must not interleave with another one in the same process, or both may append.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    // The next task waits for this one whatever its outcome; the caller still sees the rejection.
    this.tail = result.catch(() => {});
    return result;
  }
}
