import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/**
 * A public key no one holds the private half of: Azure requires an SSH key for a Linux admin user,
 * and a pod VM needs none. Ed25519 (Azure accepts it for Linux VMs) rather than upstream's RSA-4096,
 * which costs about a second of CPU per VM; the private key is dropped at once either way.
 */
export function throwawayPublicKey(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** The key in `-ssh-key-path`: one authorized_keys line, checked before any VM is made. */
export async function readPublicKey(path: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new Error(
      `-ssh-key-path ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (
    !/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/]+=*( .*)?$/.test(text) ||
    text.includes('\n')
  ) {
    throw new Error(
      `-ssh-key-path ${path}: not one SSH public key line (ssh-rsa, ssh-ed25519 or ecdsa-sha2-*)`,
    );
  }
  return text;
}
