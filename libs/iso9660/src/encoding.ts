/** ECMA-119's number and text fields. */

/** 32-bit "both-byte orders" field: little-endian, then big-endian (7.3.3). */
export function both32(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt32LE(value, offset);
  buffer.writeUInt32BE(value, offset + 4);
}

/** 16-bit both-byte orders field (7.2.3). */
export function both16(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt16LE(value, offset);
  buffer.writeUInt16BE(value, offset + 2);
}

/** A fixed-width text field padded with spaces: one byte a character, or UCS-2 big-endian for Joliet. */
export function text(buffer: Buffer, offset: number, width: number, value: string, ucs2: boolean): void {
  const encoded = ucs2 ? ucs2be(value) : Buffer.from(value, 'latin1');
  const pad = ucs2 ? ucs2be(' '.repeat(Math.ceil(width / 2))) : Buffer.alloc(width, 0x20);
  pad.copy(buffer, offset, 0, width);
  encoded.copy(buffer, offset, 0, Math.min(width, encoded.length));
}

export function ucs2be(value: string): Buffer {
  const out = Buffer.alloc(value.length * 2);
  for (let index = 0; index < value.length; index++) out.writeUInt16BE(value.charCodeAt(index), index * 2);
  return out;
}

/** The 17-byte date of a volume descriptor (8.4.26.1): digits YYYYMMDDHHMMSScc, then the zone (0: UTC). */
export function volumeDate(buffer: Buffer, offset: number, date: Date | undefined): void {
  if (!date) {
    buffer.write('0000000000000000', offset, 'latin1');
    buffer[offset + 16] = 0;
    return;
  }
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const digits =
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1, 2) +
    pad(date.getUTCDate(), 2) +
    pad(date.getUTCHours(), 2) +
    pad(date.getUTCMinutes(), 2) +
    pad(date.getUTCSeconds(), 2) +
    pad(Math.floor(date.getUTCMilliseconds() / 10), 2);
  buffer.write(digits, offset, 'latin1');
  buffer[offset + 16] = 0;
}

/** The 7-byte date of a directory record (9.1.5): years since 1900, month, day, h, m, s, zone. */
export function recordDate(buffer: Buffer, offset: number, date: Date): void {
  buffer[offset] = date.getUTCFullYear() - 1900;
  buffer[offset + 1] = date.getUTCMonth() + 1;
  buffer[offset + 2] = date.getUTCDate();
  buffer[offset + 3] = date.getUTCHours();
  buffer[offset + 4] = date.getUTCMinutes();
  buffer[offset + 5] = date.getUTCSeconds();
  buffer[offset + 6] = 0;
}
