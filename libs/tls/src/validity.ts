import { randomBytes } from 'node:crypto';

/** Upstream issues every certificate for two years. */
export const defaultValidityDays = 730;

/** Backdating notBefore absorbs clock skew between the worker node and a freshly booted pod VM. */
const backdateMs = 5 * 60 * 1000;
const dayMs = 24 * 60 * 60 * 1000;

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The window [now - 5 min, now + days], never ending after `notAfterCap` (the issuer's own end). */
export function validityWindow(days: number, now: Date = new Date(), notAfterCap?: Date): Validity {
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`validityDays must be a positive number, got ${days}`);
  }
  const notBefore = new Date(now.getTime() - backdateMs);
  let notAfter = new Date(now.getTime() + days * dayMs);
  if (notAfterCap !== undefined && notAfter > notAfterCap) notAfter = notAfterCap;
  return { notBefore, notAfter };
}

/**
 * A random 128-bit serial as hex. @peculiar/x509 encodes it as a minimal positive DER INTEGER
 * (Go's parser rejects any other form); the lowest bit is set so it is never zero.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[15] = bytes[15]! | 0x01;
  return bytes.toString('hex');
}
