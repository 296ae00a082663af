import type { Duplex } from 'node:stream';
import type { CancellationSource } from './call-options';
import { Code } from './codes';
import type { Deadline } from './deadline';
import { TtrpcError } from './errors';
import type { Metadata } from './metadata';
import type { MethodKind } from './services';

/** What the server side of one stream can do; implemented by the connection. */
export interface StreamSender {
  sendData(streamId: number, payload: Uint8Array): Promise<void>;
}

/**
 * One incoming call, as a handler sees it: the raw request, metadata, the deadline and a signal
 * that aborts when the deadline passes, the client goes away or the server is forced down.
 */
export class ServerCall implements CancellationSource {
  // Created on first use: most handlers never look at the signal, and it costs on every call.
  private controller: AbortController | undefined;
  private abortReason: TtrpcError | undefined;
  private abortListeners: Set<() => void> | undefined;
  private readonly inbox: Uint8Array[] = [];
  private inboxClosed: boolean;
  private waiter: (() => void) | undefined;
  /** Set once the stream has been answered; later sends are refused. */
  finished = false;

  constructor(
    readonly streamId: number,
    readonly kind: MethodKind,
    readonly service: string,
    readonly method: string,
    /** The request message; for client-streaming calls, the optional first message. */
    readonly payload: Uint8Array,
    readonly metadata: Metadata,
    readonly deadline: Deadline | undefined,
    readonly socket: Duplex,
    private readonly sender: StreamSender,
    receivesData: boolean,
  ) {
    this.inboxClosed = !receivesData;
  }

  /** Aborts when the deadline passes, the client goes away or the server is forced down. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** A cheap alternative to `signal` for code on the hot path (forwarding). */
  onAbort(listener: () => void): () => void {
    if (this.abortReason) {
      listener();
      return () => {};
    }
    this.abortListeners ??= new Set();
    this.abortListeners.add(listener);
    return () => this.abortListeners?.delete(listener);
  }

  /** Aborts the call's signal (deadline, disconnect, forced shutdown). */
  abort(reason: TtrpcError): void {
    if (!this.abortReason) {
      this.abortReason = reason;
      this.controller?.abort(reason);
      const listeners = this.abortListeners;
      this.abortListeners = undefined;
      for (const listener of listeners ?? []) listener();
    }
    this.closeInbox();
  }

  /** Sends one message to the client on a server-streaming or bidirectional call. */
  async send(message: Uint8Array): Promise<void> {
    if (this.kind !== 'server-stream' && this.kind !== 'bidi') {
      throw new TtrpcError(Code.Internal, `ttrpc: ${this.method} is not a server-streaming method`);
    }
    if (this.finished || this.aborted) throw new TtrpcError(Code.Canceled, 'context canceled');
    await this.sender.sendData(this.streamId, message);
  }

  /** The messages the client streams, until it closes its side. */
  async *messages(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = this.inbox.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.inboxClosed) return;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Delivers a client Data message (called by the connection). */
  deliver(message: Uint8Array): void {
    if (this.inboxClosed) return;
    this.inbox.push(message);
    this.wake();
  }

  closeInbox(): void {
    this.inboxClosed = true;
    this.wake();
  }

  get receiving(): boolean {
    return !this.inboxClosed;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
