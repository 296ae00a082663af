/** Hex helpers for golden-byte tests: spaces and newlines in the literal are ignored. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.length)));
}

export function ascii(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
