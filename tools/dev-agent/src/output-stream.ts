import type { Readable } from 'node:stream';
import { Code, TtrpcError } from '@peerpods/ttrpc';

/** 16 MiB: above this much unread output the pipe is paused (see {@link OutputStream}). */
export const DEFAULT_STREAM_CAP = 16 * 1024 * 1024;

/** What ReadStdout/ReadStderr fail with once a stream has ended and been drained; the shim treats it as the end. */
export function eofError(): TtrpcError {
  return new TtrpcError(Code.Internal, 'EOF');
}

interface PendingRead {
  readonly max: number;
  readonly resolve: (data: Buffer) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The buffered output of one process stream (stdout or stderr), read in pieces by ReadStdout /
 * ReadStderr calls. Reads are served in arrival order and each byte goes to exactly one read.
 * Memory is bounded: once `cap` bytes are unread the pipe is paused, so the process blocks in
 * write() until a reader drains the buffer below the cap again; nothing is dropped.
 */
export class OutputStream {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private readonly pending: PendingRead[] = [];
  private source: Readable | undefined;

  constructor(private readonly cap = DEFAULT_STREAM_CAP) {}

  /** Takes the process's pipe; the stream ends when the pipe does. */
  attach(source: Readable): void {
    this.source = source;
    source.on('data', (chunk: Buffer) => this.push(chunk));
    source.once('end', () => this.end());
    source.once('close', () => this.end());
    // A pipe error ends the stream like EOF; there is nobody else to tell.
    source.on('error', () => this.end());
  }

  /** Bytes waiting to be read. */
  get size(): number {
    return this.buffered;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  push(chunk: Buffer): void {
    if (this.ended || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.serve();
    if (this.buffered >= this.cap) this.source?.pause();
  }

  /** No more data will come; reads that find the buffer empty now fail with EOF. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.serve();
  }

  /**
   * Up to `max` bytes as soon as any are available. Fails with {@link eofError} once the stream has
   * ended and everything was read, and with the signal's reason when it aborts first.
   */
  read(max: number, signal?: AbortSignal): Promise<Buffer> {
    if (max <= 0) return Promise.resolve(Buffer.alloc(0));
    if (this.pending.length === 0 && this.buffered > 0) return Promise.resolve(this.take(max));
    if (this.pending.length === 0 && this.ended) return Promise.reject(eofError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Buffer>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.pending.indexOf(entry);
        // Already served: the data went out with that read; nothing to undo.
        if (index < 0) return;
        this.pending.splice(index, 1);
        reject(signal?.reason);
      };
      const entry: PendingRead = {
        max,
        resolve: (data) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(data);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
    });
  }

  private serve(): void {
    while (this.pending.length > 0 && this.buffered > 0) {
      const next = this.pending.shift()!;
      next.resolve(this.take(next.max));
    }
    if (this.ended && this.buffered === 0) {
      for (const waiting of this.pending.splice(0)) waiting.reject(eofError());
    }
  }

  private take(max: number): Buffer {
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < max && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const want = max - taken;
      if (head.length <= want) {
        parts.push(head);
        taken += head.length;
        this.chunks.shift();
      } else {
        parts.push(head.subarray(0, want));
        this.chunks[0] = head.subarray(want);
        taken += want;
      }
    }
    this.buffered -= taken;
    if (this.buffered < this.cap && this.source?.isPaused()) this.source.resume();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, taken);
  }
}
