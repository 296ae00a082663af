/**
 * Reads with a size cap, so a huge or endless user-data cannot exhaust the pod VM's memory at boot.
 * Both return `undefined` when the input is larger than `maxBytes`; the caller says what that means.
 */
import { open } from 'node:fs/promises';

export const MAX_USER_DATA_BYTES = 1024 * 1024;

export async function readFileUpTo(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(path, 'r');
  try {
    // One byte more than allowed tells "exactly at the limit" from "over it" without a stat race.
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > maxBytes ? undefined : Buffer.from(buffer.subarray(0, filled));
  } finally {
    await handle.close();
  }
}

/** Reads a fetch body; stops (and cancels the stream) as soon as it passes `maxBytes`. */
export async function readBodyUpTo(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}
