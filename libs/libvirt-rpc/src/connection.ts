import type { Duplex } from 'node:stream';
import { LibvirtConnectionError, type LibvirtError, readRemoteError } from './errors';
import {
  decodeHeader,
  encodePacket,
  HEADER_SIZE,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_VERSION,
  PacketSplitter,
  PacketStatus,
  PacketType,
  REMOTE_PROGRAM,
  REMOTE_VERSION,
  STREAM_CHUNK,
} from './packet';
import { XdrReader } from './xdr';

interface PendingCall {
  procedure: string;
  resolve: (body: Buffer) => void;
  reject: (error: Error) => void;
}

const KEEPALIVE_PING = 1;
const KEEPALIVE_PONG = 2;

/**
 * One connection to a libvirt daemon: serial-numbered calls multiplexed over a byte stream (a unix
 * socket, or ssh's stdio), each answered by the reply with its serial. Calls may overlap; the daemon
 * answers them in any order.
 */
export class RpcConnection {
  private readonly splitter = new PacketSplitter();
  private readonly pending = new Map<number, PendingCall>();
  private nextSerial = 1;
  private failure: Error | undefined;

  constructor(private readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (error) =>
      this.fail(new LibvirtConnectionError(`libvirt connection failed: ${error.message}`)),
    );
    stream.on('close', () => this.fail(new LibvirtConnectionError('libvirt connection closed')));
  }

  /** Sends one call and resolves with its reply body, or rejects with the daemon's error. */
  call(procedure: number, name: string, body: Uint8Array, signal?: AbortSignal): Promise<Buffer> {
    const serial = this.send(procedure, PacketType.Call, PacketStatus.Ok, body);
    return this.awaitReply(serial, name, signal);
  }

  /**
   * A call that opens an upload stream (storage volume upload): after the daemon accepts the call,
   * the data follows in stream packets of the same procedure and serial, then an empty packet with
   * status OK, which the daemon confirms, or answers with the error that stopped it.
   */
  async upload(
    procedure: number,
    name: string,
    body: Uint8Array,
    data: Buffer,
    signal?: AbortSignal,
  ): Promise<void> {
    const serial = this.send(procedure, PacketType.Call, PacketStatus.Ok, body);
    await this.awaitReply(serial, name, signal);
    const finished = this.awaitReply(serial, `${name} (stream)`, signal);
    try {
      for (let offset = 0; offset < data.length; offset += STREAM_CHUNK) {
        const chunk = data.subarray(offset, Math.min(data.length, offset + STREAM_CHUNK));
        if (!this.write(procedure, PacketType.Stream, PacketStatus.Continue, serial, chunk)) {
          await this.drained();
        }
        signal?.throwIfAborted();
      }
      this.write(procedure, PacketType.Stream, PacketStatus.Ok, serial, new Uint8Array());
    } catch (error) {
      finished.catch(() => {});
      throw error;
    }
    await finished;
  }

  /** Closes the byte stream; calls in flight fail. */
  close(): void {
    this.fail(new LibvirtConnectionError('libvirt connection closed by the client'));
    this.stream.destroy();
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  private send(procedure: number, type: PacketType, status: PacketStatus, body: Uint8Array): number {
    if (this.failure) throw this.failure;
    const serial = this.nextSerial;
    this.nextSerial = (this.nextSerial + 1) >>> 0 || 1;
    this.write(procedure, type, status, serial, body);
    return serial;
  }

  private write(
    procedure: number,
    type: PacketType,
    status: PacketStatus,
    serial: number,
    body: Uint8Array,
  ): boolean {
    if (this.failure) throw this.failure;
    const header = { program: REMOTE_PROGRAM, version: REMOTE_VERSION, procedure, type, serial, status };
    return this.stream.write(encodePacket(header, body));
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.stream.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.stream.off('drain', onDrain);
        reject(this.failure ?? new LibvirtConnectionError('libvirt connection closed'));
      };
      this.stream.once('drain', onDrain);
      this.stream.once('close', onClose);
    });
  }

  private awaitReply(serial: number, procedure: string, signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.pending.delete(serial);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(serial, {
        procedure,
        resolve: (body) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(body);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
    });
  }

  private onData(chunk: Buffer): void {
    let packets: Buffer[];
    try {
      packets = this.splitter.push(chunk);
    } catch (error) {
      this.fail(
        new LibvirtConnectionError(`libvirt connection lost its framing: ${(error as Error).message}`),
      );
      this.stream.destroy();
      return;
    }
    for (const packet of packets) this.onPacket(packet);
  }

  private onPacket(packet: Buffer): void {
    const header = decodeHeader(packet);
    const body = packet.subarray(HEADER_SIZE);
    if (header.program === KEEPALIVE_PROGRAM) {
      if (header.procedure === KEEPALIVE_PING) {
        const pong = {
          ...header,
          version: KEEPALIVE_VERSION,
          procedure: KEEPALIVE_PONG,
          type: PacketType.Message,
        };
        this.stream.write(encodePacket(pong, new Uint8Array()));
      }
      return;
    }
    if (header.program !== REMOTE_PROGRAM) return;
    // Asynchronous messages (events) are not subscribed to; a stream packet with data would be a
    // download, which this client never starts.
    if (header.type === PacketType.Message) return;
    if (header.type === PacketType.Stream && header.status === PacketStatus.Continue) return;
    const call = this.pending.get(header.serial);
    if (!call) return;
    this.pending.delete(header.serial);
    if (header.status === PacketStatus.Error) {
      let error: LibvirtError | Error;
      try {
        error = readRemoteError(new XdrReader(body), call.procedure);
      } catch (cause) {
        error = new LibvirtConnectionError(
          `${call.procedure}: unreadable error reply: ${(cause as Error).message}`,
        );
      }
      call.reject(error);
      return;
    }
    call.resolve(body);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.reject(error);
  }
}
