import type { webcrypto } from 'node:crypto';
import { loadX509, nodeCrypto } from './x509-runtime';

/** ECDSA P-256 signing with SHA-256: what upstream uses, and what both Go and OpenSSL verify fast. */
export const ecdsaP256: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};

/**
 * A fresh P-256 key pair. `extractable` is false for CA keys: they live in memory only and nothing
 * may ever export them.
 */
export function generateKeyPair(extractable: boolean): Promise<webcrypto.CryptoKeyPair> {
  return nodeCrypto.subtle.generateKey(ecdsaP256, extractable, ['sign', 'verify']);
}

/** PKCS#8 PEM, the form Go's tls.X509KeyPair and Node's tls both accept. */
export async function privateKeyToPem(key: webcrypto.CryptoKey): Promise<string> {
  const x509 = await loadX509();
  const der = await nodeCrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}
