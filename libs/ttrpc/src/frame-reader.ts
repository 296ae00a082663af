import { FRAME_HEADER_BYTES, MAX_MESSAGE_BYTES } from './wire-format';

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  /** The frame body; a view into the received bytes when it arrived in one chunk. */
  body: Uint8Array;
}

export interface OversizeFrame {
  streamId: number;
  type: number;
  flags: number;
  length: number;
}

export interface FrameSink {
  frame(frame: Frame): void;
  /** A frame whose declared length exceeds the maximum; its body is being discarded unread. */
  oversize(header: OversizeFrame): void;
}

/**
 * Reassembles frames from a byte stream: handles frames split across reads and several frames in
 * one read. The declared length is checked against the maximum before any buffer is sized by it,
 * and an oversize body is skipped as it arrives, never held.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private discard = 0;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);

  /** Bytes held while waiting for the rest of a frame; bounded by header + MAX_MESSAGE_BYTES + one read. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array, sink: FrameSink): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.discard > 0) {
        const dropped = Math.min(this.discard, this.buffered);
        this.consume(dropped);
        this.discard -= dropped;
        if (this.discard > 0) return;
      }
      if (this.buffered < FRAME_HEADER_BYTES) return;
      const header = this.peekHeader();
      const length = header.readUInt32BE(0);
      const streamId = header.readUInt32BE(4);
      const type = header[8]!;
      const flags = header[9]!;
      if (length > MAX_MESSAGE_BYTES) {
        this.consume(FRAME_HEADER_BYTES);
        this.discard = length;
        sink.oversize({ streamId, type, flags, length });
        continue;
      }
      if (this.buffered < FRAME_HEADER_BYTES + length) return;
      this.consume(FRAME_HEADER_BYTES);
      sink.frame({ streamId, type, flags, body: this.take(length) });
    }
  }

  private peekHeader(): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= FRAME_HEADER_BYTES) {
      return Buffer.from(first.buffer, first.byteOffset, FRAME_HEADER_BYTES);
    }
    let copied = 0;
    for (const chunk of this.chunks) {
      const count = Math.min(chunk.length, FRAME_HEADER_BYTES - copied);
      this.header.set(chunk.subarray(0, count), copied);
      copied += count;
      if (copied === FRAME_HEADER_BYTES) break;
    }
    return this.header;
  }

  /** Removes `count` bytes from the front. */
  private consume(count: number): void {
    this.buffered -= count;
    while (count > 0) {
      const first = this.chunks[0]!;
      if (first.length > count) {
        this.chunks[0] = first.subarray(count);
        return;
      }
      count -= first.length;
      this.chunks.shift();
    }
  }

  /** Removes and returns `count` bytes (count ≤ buffered, already checked against the maximum). */
  private take(count: number): Uint8Array {
    if (count === 0) return new Uint8Array(0);
    const first = this.chunks[0]!;
    if (first.length >= count) {
      const view = first.subarray(0, count);
      this.consume(count);
      return view;
    }
    const out = Buffer.allocUnsafe(count);
    let copied = 0;
    while (copied < count) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length, count - copied);
      out.set(chunk.subarray(0, n), copied);
      copied += n;
      this.consume(n);
    }
    return out;
  }
}
