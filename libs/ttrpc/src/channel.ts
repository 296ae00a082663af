import type { Duplex } from 'node:stream';
import { type Frame, FrameReader, type FrameSink, type OversizeFrame } from './frame-reader';

export interface ChannelHandler {
  frame(frame: Frame): void;
  oversize(header: OversizeFrame): void;
  /** Called once, when the connection is gone for whatever reason. */
  closed(error?: Error): void;
}

// A server stops reading from a peer that does not read its answers once this much is queued for it.
const WRITE_BACKLOG_PAUSE_BYTES = 8 * 1024 * 1024;

export interface ChannelOptions {
  /**
   * Pause reading while our own writes are backed up. Right for a server (a peer that sends
   * requests but never reads the answers cannot make it buffer without bound); wrong for a client,
   * which must keep reading answers or both ends would wait on each other.
   */
  pauseReadsOnWriteBacklog: boolean;
}

/**
 * One ttrpc connection's byte stream: frames in through a FrameReader, frames out as one writev
 * each (so frames never interleave), and (servers) reading paused while the peer is not draining our writes.
 */
export class Channel {
  private readonly reader = new FrameReader();
  private open = true;
  private readonly sink: FrameSink;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    readonly socket: Duplex,
    private readonly handler: ChannelHandler,
    private readonly options: ChannelOptions,
  ) {
    this.sink = { frame: (f) => handler.frame(f), oversize: (h) => handler.oversize(h) };
    socket.on('data', (chunk: Buffer) => {
      if (!this.open) return;
      this.reader.push(chunk, this.sink);
    });
    socket.on('drain', () => {
      if (this.open && socket.isPaused()) socket.resume();
    });
    socket.on('error', (error) => this.finish(error));
    socket.on('end', () => {
      // The peer will send nothing more: a ttrpc connection is done then.
      this.finish();
    });
    socket.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Writes one frame's buffers contiguously. Returns false when the connection is closed. */
  write(parts: readonly Uint8Array[]): boolean {
    if (!this.open || this.socket.destroyed) return false;
    const socket = this.socket;
    // Frames written in the same tick leave in one writev: one syscall for many calls in flight.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    for (const part of parts) socket.write(part);
    if (
      this.options.pauseReadsOnWriteBacklog &&
      socket.writableLength > WRITE_BACKLOG_PAUSE_BYTES &&
      !socket.isPaused()
    ) {
      socket.pause();
    }
    return true;
  }

  /** Closes the connection: pending writes are flushed, then the socket ends. */
  close(): void {
    if (!this.open) return;
    this.socket.end();
    this.finish();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private finish(error?: Error): void {
    if (!this.open) return;
    this.open = false;
    if (!this.socket.destroyed) {
      if (!this.socket.writableEnded) this.socket.end();
      // Flush what is queued, but never wait on a peer that does not close its side.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
    this.handler.closed(error);
  }
}
