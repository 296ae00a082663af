/**
 * XDR (RFC 4506), the encoding of every libvirt RPC message: big-endian 32-bit units, strings and
 * opaques padded to four bytes, arrays prefixed with their length.
 */

const pad = (length: number): number => (4 - (length % 4)) % 4;

/** Appends XDR values to a growing buffer. */
export class XdrWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  int(value: number): this {
    this.reserve(4);
    this.buffer.writeInt32BE(value, this.length);
    this.length += 4;
    return this;
  }

  uint(value: number): this {
    this.reserve(4);
    this.buffer.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
    return this;
  }

  hyper(value: bigint): this {
    this.reserve(8);
    this.buffer.writeBigInt64BE(value, this.length);
    this.length += 8;
    return this;
  }

  uhyper(value: bigint): this {
    this.reserve(8);
    this.buffer.writeBigUInt64BE(value, this.length);
    this.length += 8;
    return this;
  }

  bool(value: boolean): this {
    return this.int(value ? 1 : 0);
  }

  /** Fixed-length opaque data: no length prefix. */
  fixedOpaque(bytes: Uint8Array): this {
    this.reserve(bytes.length + 3);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    this.buffer.fill(0, this.length, this.length + pad(bytes.length));
    this.length += pad(bytes.length);
    return this;
  }

  opaque(bytes: Uint8Array): this {
    return this.uint(bytes.length).fixedOpaque(bytes);
  }

  string(value: string): this {
    return this.opaque(Buffer.from(value, 'utf8'));
  }

  /** libvirt's `remote_string`: an optional string (a one-element array). */
  optionalString(value: string | null): this {
    if (value === null) return this.bool(false);
    return this.bool(true).string(value);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Thrown when a message is shorter than its content says, or a length passes a protocol limit. */
export class XdrError extends Error {
  override readonly name = 'XdrError';
}

/** Reads XDR values from one message body. */
export class XdrReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  private take(bytes: number, what: string): number {
    const at = this.offset;
    if (at + bytes > this.buffer.length) {
      throw new XdrError(
        `truncated XDR data: ${what} needs ${bytes} bytes at offset ${at} of ${this.buffer.length}`,
      );
    }
    this.offset += bytes;
    return at;
  }

  int(): number {
    return this.buffer.readInt32BE(this.take(4, 'int'));
  }

  uint(): number {
    return this.buffer.readUInt32BE(this.take(4, 'unsigned int'));
  }

  hyper(): bigint {
    return this.buffer.readBigInt64BE(this.take(8, 'hyper'));
  }

  uhyper(): bigint {
    return this.buffer.readBigUInt64BE(this.take(8, 'unsigned hyper'));
  }

  bool(): boolean {
    const value = this.int();
    if (value !== 0 && value !== 1) throw new XdrError(`invalid XDR bool ${value}`);
    return value === 1;
  }

  fixedOpaque(length: number): Buffer {
    const at = this.take(length + pad(length), `opaque[${length}]`);
    return this.buffer.subarray(at, at + length);
  }

  opaque(max: number, what = 'opaque'): Buffer {
    const length = this.uint();
    if (length > max) throw new XdrError(`${what} of ${length} bytes is over the protocol's limit of ${max}`);
    return this.fixedOpaque(length);
  }

  string(max: number, what = 'string'): string {
    return this.opaque(max, what).toString('utf8');
  }

  optionalString(max: number, what = 'string'): string | null {
    return this.bool() ? this.string(max, what) : null;
  }

  /** A variable-length array; `item` reads one element. */
  array<T>(max: number, what: string, item: (reader: XdrReader) => T): T[] {
    const count = this.uint();
    if (count > max) throw new XdrError(`${what}: ${count} elements is over the protocol's limit of ${max}`);
    const items: T[] = [];
    for (let index = 0; index < count; index++) items.push(item(this));
    return items;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }
}
