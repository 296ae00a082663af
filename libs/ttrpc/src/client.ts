import type { Duplex } from 'node:stream';
import type { CallOptions } from './call-options';
import { Channel } from './channel';
import { Code } from './codes';
import { Deadline, MAX_TIMER_MS } from './deadline';
import { decodeResponse, encodeDataFrame, encodeRequestFrame, OversizeError } from './envelope';
import { closedError, TtrpcError } from './errors';
import type { Frame, OversizeFrame } from './frame-reader';
import type { Metadata } from './metadata';
import { type ConnectTarget, type DialOptions, dial } from './transport';
import { Flags, MessageType, oversizeMessage } from './wire-format';

export type StreamKind = 'server-stream' | 'client-stream' | 'bidi';

interface PendingStream {
  kind: 'unary' | StreamKind;
  settle(error: TtrpcError | undefined, payload?: Uint8Array): void;
  /** Streaming only: a Data frame for this stream. */
  data?(frame: Frame): void;
}

const NO_METADATA: Metadata = [];
const EMPTY = new Uint8Array(0);
// Stream ids are uint32 and client ids odd; past this a connection must be replaced.
const LAST_STREAM_ID = 0xffff_ffff;

/**
 * A ttrpc client on one connection. Calls are multiplexed on odd stream ids (1, 3, 5, …) in the
 * order they are made; responses are matched by id. When the connection goes, every pending call
 * fails at once and the client stays closed (like Go's, it never reconnects by itself).
 */
export class TtrpcClient {
  private readonly channel: Channel;
  private readonly pending = new Map<number, PendingStream>();
  private nextStreamId = 1;
  private closeReason: TtrpcError | undefined;
  private readonly closeListeners: Array<(error?: Error) => void> = [];

  constructor(socket: Duplex) {
    this.channel = new Channel(
      socket,
      {
        frame: (frame) => this.onFrame(frame),
        oversize: (header) => this.onOversize(header),
        closed: (error) => this.onClosed(error),
      },
      { pauseReadsOnWriteBacklog: false },
    );
  }

  static async connect(target: ConnectTarget, options: DialOptions = {}): Promise<TtrpcClient> {
    return new TtrpcClient(await dial(target, options));
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get socket(): Duplex {
    return this.channel.socket;
  }

  /** Number of calls and streams waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Registers a listener for the end of the connection (called at once if already closed). */
  onClose(listener: (error?: Error) => void): void {
    if (this.closeReason) listener();
    else this.closeListeners.push(listener);
  }

  /** A unary call with an already-encoded request; resolves to the encoded response message. */
  call(service: string, method: string, payload: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.start('unary', service, method, payload, 0, options, (error, response) =>
        error ? reject(error) : resolve(response ?? EMPTY),
      );
    });
  }

  /**
   * Opens a streaming call. For server-streaming calls `firstMessage` is the request; for
   * client-streaming and bidirectional calls it is optional and sent as the Request payload.
   */
  stream(
    kind: StreamKind,
    service: string,
    method: string,
    firstMessage: Uint8Array | undefined,
    options: CallOptions = {},
  ): ClientStream {
    const stream = new ClientStream(this, kind);
    const flags = kind === 'server-stream' ? Flags.RemoteClosed : Flags.RemoteOpen;
    const id = this.start(kind, service, method, firstMessage ?? EMPTY, flags, options, (error, payload) =>
      stream.finish(error, payload),
    );
    if (id !== undefined) stream.attach(id);
    return stream;
  }

  /** Closes the connection; pending calls fail with `ttrpc: closed`. */
  close(): void {
    this.channel.close();
  }

  /** Sends a Data frame on an open stream (used by ClientStream). */
  sendData(streamId: number, flags: number, payload: Uint8Array): void {
    // Data must only ever reach a peer on a stream it still has open: Go servers up to v1.2.7 crash otherwise.
    if (!this.pending.has(streamId))
      throw new TtrpcError(Code.FailedPrecondition, 'stream is no longer open');
    try {
      this.channel.write(encodeDataFrame(streamId, flags, payload));
    } catch (error) {
      if (error instanceof OversizeError) throw new TtrpcError(Code.ResourceExhausted, error.message);
      throw error;
    }
  }

  private start(
    kind: PendingStream['kind'],
    service: string,
    method: string,
    payload: Uint8Array,
    flags: number,
    options: CallOptions,
    settle: (error: TtrpcError | undefined, payload?: Uint8Array) => void,
  ): number | undefined {
    if (this.closeReason) {
      settle(this.closeReason);
      return undefined;
    }
    if (options.signal?.aborted || options.cancel?.aborted) {
      settle(new TtrpcError(Code.Canceled, 'context canceled'));
      return undefined;
    }
    const deadline = Deadline.earliest(
      options.deadline,
      options.timeoutMs === undefined ? undefined : Deadline.after(options.timeoutMs),
    );
    if (this.nextStreamId > LAST_STREAM_ID) {
      settle(new TtrpcError(Code.ResourceExhausted, 'ttrpc: stream ids exhausted on this connection'));
      return undefined;
    }
    const id = this.nextStreamId;
    let frame: Uint8Array[];
    try {
      frame = encodeRequestFrame(id, flags, {
        service,
        method,
        payload,
        timeoutNano: deadline ? deadline.timeoutNano() : 0,
        metadata: options.metadata ?? NO_METADATA,
      });
    } catch (error) {
      // Nothing was written, as with Go's client.
      if (error instanceof OversizeError) settle(new TtrpcError(Code.ResourceExhausted, error.message));
      else settle(new TtrpcError(Code.Internal, String(error)));
      return undefined;
    }
    this.nextStreamId += 2;

    let timer: NodeJS.Timeout | undefined;
    let removeCancel: (() => void) | undefined;
    const onAbort = (): void => finish(new TtrpcError(Code.Canceled, 'context canceled'));
    const finish = (error: TtrpcError | undefined, response?: Uint8Array): void => {
      if (this.pending.get(id) !== entry) return;
      this.pending.delete(id);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      removeCancel?.();
      settle(error, response);
    };
    const entry: PendingStream = { kind, settle: finish };
    this.pending.set(id, entry);
    // setTimeout clamps delays over 2^31-1 ms to 1 ms: a budget that long is no deadline in practice.
    if (deadline && deadline.remainingMs() <= MAX_TIMER_MS) {
      timer = setTimeout(
        () => finish(new TtrpcError(Code.DeadlineExceeded, 'context deadline exceeded')),
        Math.max(0, deadline.remainingMs()),
      );
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    removeCancel = options.cancel?.onAbort(onAbort);
    this.channel.write(frame);
    return id;
  }

  /** Lets a ClientStream receive its Data frames. */
  bindStreamData(streamId: number, onData: (frame: Frame) => void): void {
    const entry = this.pending.get(streamId);
    if (entry) entry.data = onData;
  }

  private onFrame(frame: Frame): void {
    const entry = this.pending.get(frame.streamId);
    if (!entry) return; // a late answer to a call that timed out or was cancelled
    if (frame.type === MessageType.Response) {
      let error: TtrpcError | undefined;
      let payload: Uint8Array | undefined;
      try {
        const response = decodeResponse(frame.body);
        const status = response.status;
        if (status && status.code !== 0) error = new TtrpcError(status.code, status.message, status.details);
        else payload = response.payload;
      } catch (decodeError) {
        error = new TtrpcError(Code.Internal, `failed to unmarshal response: ${String(decodeError)}`);
      }
      entry.settle(error, payload);
      return;
    }
    if (frame.type === MessageType.Data) {
      if (entry.kind === 'unary' || !entry.data) {
        entry.settle(new TtrpcError(Code.Internal, 'unexpected "data" message received: protocol error'));
        return;
      }
      entry.data(frame);
      // The server closing its side without an error ends server-streaming and bidi calls.
      if (frame.flags & Flags.RemoteClosed) entry.settle(undefined);
    }
    // Other types: ignored, as Go and Rust peers do.
  }

  private onOversize(header: OversizeFrame): void {
    this.pending
      .get(header.streamId)
      ?.settle(new TtrpcError(Code.ResourceExhausted, oversizeMessage(header.length)));
  }

  private onClosed(error?: Error): void {
    this.closeReason = closedError(error?.message);
    const entries = [...this.pending.values()];
    for (const entry of entries) entry.settle(this.closeReason);
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }
}

/**
 * One streaming call: `send`/`closeSend` for what the client streams, async iteration for what the
 * server streams, and `result` for the end (the final response of a client-streaming call).
 */
export class ClientStream implements AsyncIterable<Uint8Array> {
  private streamId: number | undefined;
  private sendOpen: boolean;
  private readonly received: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private failure: TtrpcError | undefined;
  private finalPayload: Uint8Array | undefined;
  private readonly resultPromise: Promise<Uint8Array | undefined>;
  private resolveResult!: (payload: Uint8Array | undefined) => void;
  private rejectResult!: (error: TtrpcError) => void;

  constructor(
    private readonly client: TtrpcClient,
    readonly kind: StreamKind,
  ) {
    this.sendOpen = kind !== 'server-stream';
    this.resultPromise = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that only iterates must not get an unhandled rejection from the result promise.
    this.resultPromise.catch(() => {});
  }

  /** Resolves when the server ends the stream; the payload is a client-streaming call's response. */
  get result(): Promise<Uint8Array | undefined> {
    return this.resultPromise;
  }

  attach(streamId: number): void {
    this.streamId = streamId;
    this.client.bindStreamData(streamId, (frame) => this.onData(frame));
  }

  send(message: Uint8Array): void {
    if (!this.sendOpen || this.streamId === undefined || this.ended) {
      throw new TtrpcError(Code.FailedPrecondition, 'send on a closed stream');
    }
    this.client.sendData(this.streamId, 0, message);
  }

  /** Tells the server the client has nothing more to send (Data with REMOTE_CLOSED|NO_DATA). */
  closeSend(): void {
    if (!this.sendOpen || this.streamId === undefined || this.ended) return;
    this.sendOpen = false;
    this.client.sendData(this.streamId, Flags.RemoteClosed | Flags.NoData, EMPTY);
  }

  finish(error: TtrpcError | undefined, payload?: Uint8Array): void {
    if (this.ended) return;
    this.ended = true;
    this.sendOpen = false;
    if (error) {
      this.failure = error;
      this.rejectResult(error);
    } else {
      this.finalPayload = payload;
      this.resolveResult(payload);
    }
    this.wake();
  }

  private onData(frame: Frame): void {
    if ((frame.flags & Flags.NoData) === 0) this.received.push(frame.body);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const next = this.received.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        if (this.finalPayload?.length) yield this.finalPayload;
        return;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
