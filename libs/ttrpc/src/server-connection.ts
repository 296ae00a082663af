import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { Channel } from './channel';
import { Code } from './codes';
import { Deadline, MAX_TIMER_MS } from './deadline';
import { decodeRequest, encodeDataFrame, encodeResponseFrame, OversizeError } from './envelope';
import { TtrpcError, toStatus } from './errors';
import type { Frame, OversizeFrame } from './frame-reader';
import { ServerCall } from './server-call';
import type { ServiceRegistry } from './services';
import { Flags, MessageType, oversizeMessage } from './wire-format';

export interface ConnectionLimits {
  /** Calls in flight on one connection before new ones are refused with ResourceExhausted. */
  maxConcurrentStreams: number;
}

/** Reports a problem the server handled without failing (bad frames, handler crashes). */
export type ServerEventLog = (message: string) => void;

const EMPTY = new Uint8Array(0);
const MAX_STATUS_MESSAGE_CHARS = 64 * 1024;

/**
 * The server side of one connection. Every Request gets exactly one answer; nothing a peer sends
 * (bad envelopes, unknown ids, oversize frames, floods) throws out of here or ends the process.
 */
export class ServerConnection {
  private readonly channel: Channel;
  private readonly calls = new Map<number, ServerCall>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private draining = false;

  constructor(
    socket: Duplex,
    private readonly registry: ServiceRegistry,
    private readonly limits: ConnectionLimits,
    private readonly log: ServerEventLog,
    private readonly onClosed: (connection: ServerConnection) => void,
  ) {
    this.channel = new Channel(
      socket,
      {
        frame: (frame) => this.onFrame(frame),
        oversize: (header) => this.onOversize(header),
        closed: () => this.onChannelClosed(),
      },
      { pauseReadsOnWriteBacklog: true },
    );
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  /** Refuses new calls; closes the connection as soon as the calls in flight are answered. */
  drain(): void {
    this.draining = true;
    if (this.calls.size === 0) this.channel.close();
  }

  /** Drops the connection now; handlers in flight see their signal abort. */
  destroy(): void {
    this.channel.destroy();
  }

  private onFrame(frame: Frame): void {
    try {
      if (frame.type === MessageType.Request) this.onRequest(frame);
      else if (frame.type === MessageType.Data) this.onData(frame);
      // Responses and unknown types are ignored, as Go and Rust servers do.
    } catch (error) {
      // A bug here must cost one stream, never the process.
      this.log(`ttrpc: internal error on stream ${frame.streamId}: ${String(error)}`);
      this.respond(frame.streamId, Code.Internal, String(error));
    }
  }

  private onRequest(frame: Frame): void {
    const id = frame.streamId;
    if (id % 2 === 0) {
      this.respond(id, Code.InvalidArgument, 'StreamID must be odd for client initiated streams');
      return;
    }
    if (this.calls.has(id)) {
      this.respond(id, Code.InvalidArgument, 'StreamID cannot be re-used and must increment');
      return;
    }
    let request: ReturnType<typeof decodeRequest>;
    try {
      request = decodeRequest(frame.body);
    } catch (error) {
      this.respond(id, Code.InvalidArgument, `unmarshal request error: ${(error as Error).message}`);
      return;
    }
    if (this.draining) {
      this.respond(id, Code.Unavailable, 'ttrpc: server shutdown');
      return;
    }
    const method = this.registry.resolve(request.service, request.method);
    if ('unknown' in method) {
      this.respond(id, Code.Unimplemented, method.unknown);
      return;
    }
    if (this.calls.size >= this.limits.maxConcurrentStreams) {
      this.respond(
        id,
        Code.ResourceExhausted,
        `ttrpc: too many concurrent streams (${this.limits.maxConcurrentStreams})`,
      );
      return;
    }
    const streamsIn = method.kind === 'client-stream' || method.kind === 'bidi';
    const deadline = Deadline.fromTimeoutNano(request.timeoutNano);
    const call = new ServerCall(
      id,
      method.kind,
      request.service,
      request.method,
      request.payload,
      request.metadata,
      deadline,
      this.channel.socket,
      { sendData: (streamId, payload) => this.sendData(streamId, payload) },
      streamsIn && (frame.flags & Flags.RemoteClosed) === 0,
    );
    // Go hands a present payload to a streaming handler as the first message.
    if (streamsIn && request.payload.length > 0) call.deliver(request.payload);
    this.calls.set(id, call);
    if (deadline) {
      const remaining = deadline.remainingMs();
      if (remaining <= 0) {
        this.expire(call);
        return;
      }
      // setTimeout clamps delays over 2^31-1 ms to 1 ms: a budget that long is no deadline in practice.
      if (remaining <= MAX_TIMER_MS)
        this.timers.set(
          id,
          setTimeout(() => this.expire(call), remaining),
        );
    }
    // Called directly (not in a fresh microtask): on the proxy path every turn saved is latency saved.
    let outcome: ReturnType<typeof method.handler>;
    try {
      outcome = method.handler(call);
    } catch (error) {
      this.fail(call, error);
      return;
    }
    if (outcome === undefined || outcome instanceof Uint8Array) {
      this.complete(call, outcome);
      return;
    }
    // A promise, or any thenable a handler returns.
    Promise.resolve(outcome)
      .then(
        (result) => this.complete(call, result),
        (error: unknown) => this.fail(call, error),
      )
      .catch((error: unknown) =>
        this.log(`ttrpc: answering ${call.service}/${call.method} failed: ${String(error)}`),
      );
  }

  private onData(frame: Frame): void {
    const call = this.calls.get(frame.streamId);
    if (!call) {
      this.respond(frame.streamId, Code.InvalidArgument, 'StreamID is no longer active');
      return;
    }
    // Data on a unary call, or after the client closed its side: ignored, never a second answer.
    if (!call.receiving) return;
    if ((frame.flags & Flags.NoData) === 0) call.deliver(frame.body);
    if (frame.flags & Flags.RemoteClosed) call.closeInbox();
  }

  private onOversize(header: OversizeFrame): void {
    const message = oversizeMessage(header.length);
    const call = this.calls.get(header.streamId);
    if (call) this.fail(call, new TtrpcError(Code.ResourceExhausted, message));
    else this.respond(header.streamId, Code.ResourceExhausted, message);
  }

  private expire(call: ServerCall): void {
    if (!this.finish(call)) return;
    call.abort(new TtrpcError(Code.DeadlineExceeded, 'context deadline exceeded'));
    this.respond(call.streamId, Code.DeadlineExceeded, 'context deadline exceeded');
  }

  private complete(call: ServerCall, result: Uint8Array | undefined): void {
    if (result !== undefined && !(result instanceof Uint8Array)) {
      // A handler bug must cost its call an error status, never the process.
      this.fail(
        call,
        new TtrpcError(Code.Internal, 'ttrpc: handler returned something that is not encoded bytes'),
      );
      return;
    }
    if (!this.finish(call)) return;
    if (call.kind === 'server-stream' || call.kind === 'bidi') {
      this.channel.write(encodeDataFrame(call.streamId, Flags.RemoteClosed | Flags.NoData, EMPTY));
      return;
    }
    try {
      this.channel.write(encodeResponseFrame(call.streamId, { payload: result ?? EMPTY }));
    } catch (error) {
      // Go would drop the whole connection here; answering this one call with an error is kinder.
      if (error instanceof OversizeError) this.respond(call.streamId, Code.ResourceExhausted, error.message);
      else this.respond(call.streamId, Code.Internal, String(error));
    }
  }

  private fail(call: ServerCall, error: unknown): void {
    if (!this.finish(call)) return;
    const status = toStatus(error);
    // A TtrpcError is the handler's answer (a proxy relaying the agent's EOF at the end of an
    // exec's output is the common one), not a fault; anything else thrown is worth a warning.
    if (!(error instanceof TtrpcError) && (status.code === Code.Unknown || status.code === Code.Internal)) {
      this.log(`ttrpc: ${call.service}/${call.method} failed: ${status.message}`);
    }
    call.abort(new TtrpcError(Code.Canceled, 'context canceled'));
    this.respond(call.streamId, status.code, status.message, status.details);
  }

  /** Marks a call answered; false if it already was (a late handler result is dropped). */
  private finish(call: ServerCall): boolean {
    if (call.finished || this.calls.get(call.streamId) !== call) return false;
    call.finished = true;
    call.closeInbox();
    this.calls.delete(call.streamId);
    const timer = this.timers.get(call.streamId);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(call.streamId);
    }
    if (this.draining && this.calls.size === 0) queueMicrotask(() => this.channel.close());
    return true;
  }

  private respond(
    streamId: number,
    code: number,
    message: string,
    details: readonly Uint8Array[] = [],
  ): void {
    try {
      this.channel.write(
        encodeResponseFrame(streamId, { status: { code, message, details }, payload: EMPTY }),
      );
    } catch (error) {
      if (!(error instanceof OversizeError)) throw error;
      // A status too large to send (a huge error text) must still answer the call, never crash.
      const shortened = `${message.slice(0, MAX_STATUS_MESSAGE_CHARS)}… (status message truncated: ${message.length} characters)`;
      this.channel.write(
        encodeResponseFrame(streamId, { status: { code, message: shortened, details: [] }, payload: EMPTY }),
      );
    }
  }

  private async sendData(streamId: number, payload: Uint8Array): Promise<void> {
    if (!this.calls.has(streamId)) throw new TtrpcError(Code.Canceled, 'context canceled');
    let frame: Uint8Array[];
    try {
      frame = encodeDataFrame(streamId, 0, payload);
    } catch (error) {
      if (error instanceof OversizeError) throw new TtrpcError(Code.ResourceExhausted, error.message);
      throw error;
    }
    if (!this.channel.write(frame)) throw new TtrpcError(Code.Canceled, 'context canceled');
    const socket = this.channel.socket;
    // 'close' too: a socket that closes while backed up never drains.
    if (socket.writableNeedDrain) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
  }

  private onChannelClosed(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      call.finished = true;
      call.abort(new TtrpcError(Code.Canceled, 'context canceled'));
    }
    this.onClosed(this);
  }
}
