import { createHash } from 'node:crypto';

/**
 * RunInstances' ClientToken for a sandbox: the same sandbox always sends the same token, so a create
 * retried after a lost answer (by the SDK, or by us) gets the instance already made instead of a
 * second one. EC2 takes up to 64 ASCII characters; a SHA-256 in hex is exactly that, whatever the id.
 */
export function clientToken(sandboxId: string): string {
  return createHash('sha256').update(`peerpods:${sandboxId}`).digest('hex');
}
