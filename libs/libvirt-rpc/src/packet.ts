/**
 * The 28-byte header in front of every libvirt RPC message (virnetprotocol.x): total length
 * (itself included), program, version, procedure, type, serial, status.
 */

export const HEADER_SIZE = 28;
/** The largest message the daemon accepts or sends: VIR_NET_MESSAGE_MAX plus the length word. */
export const MESSAGE_MAX = 32 * 1024 * 1024 + 4;
/** Stream data per packet: VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX, what libvirt's own client sends. */
export const STREAM_CHUNK = 262120;

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_VERSION = 1;

export enum PacketType {
  Call = 0,
  Reply = 1,
  Message = 2,
  Stream = 3,
  CallWithFds = 4,
  ReplyWithFds = 5,
  StreamHole = 6,
}

export enum PacketStatus {
  Ok = 0,
  Error = 1,
  Continue = 2,
}

export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: PacketType;
  serial: number;
  status: PacketStatus;
}

export function encodePacket(header: PacketHeader, body: Uint8Array): Buffer {
  const length = HEADER_SIZE + body.length;
  if (length > MESSAGE_MAX) {
    throw new RangeError(`libvirt message of ${length} bytes is over the protocol's limit of ${MESSAGE_MAX}`);
  }
  const packet = Buffer.allocUnsafe(length);
  packet.writeUInt32BE(length, 0);
  packet.writeUInt32BE(header.program, 4);
  packet.writeUInt32BE(header.version, 8);
  packet.writeInt32BE(header.procedure, 12);
  packet.writeInt32BE(header.type, 16);
  packet.writeUInt32BE(header.serial, 20);
  packet.writeInt32BE(header.status, 24);
  packet.set(body, HEADER_SIZE);
  return packet;
}

export function decodeHeader(packet: Buffer): PacketHeader {
  return {
    program: packet.readUInt32BE(4),
    version: packet.readUInt32BE(8),
    procedure: packet.readInt32BE(12),
    type: packet.readInt32BE(16),
    serial: packet.readUInt32BE(20),
    status: packet.readInt32BE(24),
  };
}

/**
 * Splits a byte stream into whole packets. Refuses a length under the header size or over
 * MESSAGE_MAX, since either means the stream is not libvirt's or has lost its framing.
 */
export class PacketSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const packets: Buffer[] = [];
    while (this.pendingBytes >= 4) {
      // Join chunks only once a whole packet is here, so a large message costs one copy.
      if (this.pending[0]!.length < 4) this.pending = [Buffer.concat(this.pending)];
      const length = this.pending[0]!.readUInt32BE(0);
      if (length < HEADER_SIZE || length > MESSAGE_MAX) {
        throw new RangeError(`invalid libvirt message length ${length}`);
      }
      if (this.pendingBytes < length) break;
      const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      packets.push(joined.subarray(0, length));
      const rest = joined.subarray(length);
      this.pending = rest.length === 0 ? [] : [rest];
      this.pendingBytes = rest.length;
    }
    return packets;
  }
}
