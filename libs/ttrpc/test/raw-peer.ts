import net from 'node:net';
import { type Frame, FrameReader } from '../src/index';

/** A socket that sends hand-made bytes and collects whole frames, to drive a server at the wire level. */
export class RawPeer {
  readonly frames: Frame[] = [];
  private readonly reader = new FrameReader();
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk, {
        frame: (frame) => this.frames.push({ ...frame, body: Buffer.from(frame.body) }),
        oversize: () => {
          throw new Error('server sent an oversize frame');
        },
      });
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static connect(path: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path }, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Uint8Array | readonly Uint8Array[]): void {
    for (const part of bytes instanceof Uint8Array ? [bytes] : bytes) this.socket.write(part);
  }

  /** Waits until `count` frames have arrived (or the socket closed) and returns them. */
  async waitFrames(count: number, timeoutMs = 5000): Promise<Frame[]> {
    const until = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed) {
      if (Date.now() > until)
        throw new Error(`timed out waiting for ${count} frames (have ${this.frames.length})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames.slice(0, count);
  }

  close(): void {
    this.socket.destroy();
  }
}
