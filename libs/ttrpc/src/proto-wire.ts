/**
 * The few protobuf wire primitives the ttrpc envelope needs. The envelope is on every frame's hot
 * path, so it is encoded straight into the frame buffer (one allocation, payload copied once or
 * not at all) and decoded without copying the payload. Message bodies use generated code instead.
 */

export const WireType = { Varint: 0, Fixed64: 1, Len: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** Bytes a non-negative varint up to 2^53 takes; negative int64 values always take 10. */
export function varintSize(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  if (value < 0) {
    // int64 two's complement, as Go writes a negative timeout_nano.
    let big = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    for (let i = 0; i < 9; i++) {
      buffer[offset++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    buffer[offset++] = Number(big);
    return offset;
  }
  while (value >= 0x80) {
    buffer[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

/** A cursor over one protobuf message; every read checks bounds and throws WireFormatError. */
export class WireReader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buffer: Uint8Array,
    start = 0,
    end = buffer.length,
  ) {
    this.offset = start;
    this.end = end;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  /** Reads an unsigned varint of up to 64 bits; exact up to 2^53. */
  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new WireFormatError('unexpected EOF');
      const byte = this.buffer[this.offset++]!;
      if (i === 9 && byte > 1) throw new WireFormatError('integer overflow');
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new WireFormatError('integer overflow');
  }

  /** Reads an int64 varint: values of 2^63 and above are negative (two's complement). */
  int64(): number {
    const start = this.offset;
    const unsigned = this.varint();
    if (unsigned < 2 ** 63) return unsigned;
    // Re-read exactly: doubles cannot hold a 64-bit two's complement value.
    let big = 0n;
    let shift = 0n;
    for (let i = start; i < this.offset; i++) {
      big |= BigInt(this.buffer[i]! & 0x7f) << shift;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, big));
  }

  /** int32 fields are sign-extended to 64 bits on the wire. */
  int32(): number {
    return this.int64() | 0;
  }

  tag(): { field: number; wireType: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new WireFormatError('invalid field number 0');
    return { field, wireType: key & 7 };
  }

  /** A length-delimited field's bytes, as a view (no copy). */
  bytes(): Uint8Array {
    const length = this.varint();
    if (length > this.end - this.offset) throw new WireFormatError('unexpected EOF');
    const view = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  string(): string {
    const view = this.bytes();
    return Buffer.from(view.buffer, view.byteOffset, view.length).toString('utf8');
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.Len:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`cannot parse invalid wire-format data (wire type ${wireType})`);
    }
  }

  private advance(count: number): void {
    if (count > this.end - this.offset) throw new WireFormatError('unexpected EOF');
    this.offset += count;
  }
}
