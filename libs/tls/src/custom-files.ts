import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { X509Certificate } from '@peculiar/x509';
import { TlsConfigError } from './errors';
import { loadX509 } from './x509-runtime';

/** Paths from `-ca-cert-file`, `-cert-file` and `-cert-key`; '' counts as not set (the flags' default). */
export interface CustomTlsFilePaths {
  readonly caCertFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/** The validated PEM texts, exactly as read, for the files that were given. */
export interface CustomTlsFiles {
  readonly caCertPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
}

const caFlag = '-ca-cert-file';
const certFlag = '-cert-file';
const keyFlag = '-cert-key';

/**
 * Reads and checks operator-supplied TLS files, so a wrong path or a mismatched pair stops the
 * process at startup with the flag's name instead of failing every later handshake. Each file must
 * hold PEM certificates (a bundle or chain is fine; the first certificate of `-cert-file` is the
 * leaf), the key must be PEM (PKCS#8, SEC1 or PKCS#1), and the key must belong to that leaf.
 * `-cert-file` and `-cert-key` come together; `-ca-cert-file` may stand alone.
 */
export async function loadCustomTlsFiles(paths: CustomTlsFilePaths): Promise<CustomTlsFiles> {
  const caCertFile = nonEmpty(paths.caCertFile);
  const certFile = nonEmpty(paths.certFile);
  const keyFile = nonEmpty(paths.keyFile);
  if (certFile !== undefined && keyFile === undefined) {
    throw new TlsConfigError(keyFlag, `is required when ${certFlag} is set (${certFile})`);
  }
  if (keyFile !== undefined && certFile === undefined) {
    throw new TlsConfigError(certFlag, `is required when ${keyFlag} is set (${keyFile})`);
  }

  const result: { caCertPem?: string; certPem?: string; keyPem?: string } = {};
  if (caCertFile !== undefined) {
    result.caCertPem = await readText(caFlag, caCertFile);
    await parseCertificates(caFlag, caCertFile, result.caCertPem);
  }
  if (certFile !== undefined && keyFile !== undefined) {
    result.certPem = await readText(certFlag, certFile);
    const [leaf] = await parseCertificates(certFlag, certFile, result.certPem);
    result.keyPem = await readText(keyFlag, keyFile);
    const key = parsePrivateKey(keyFile, result.keyPem);
    if (!keyMatchesCertificate(key, leaf!)) {
      throw new TlsConfigError(
        keyFlag,
        `the private key in ${keyFile} does not match the certificate in ${certFile} (${certFlag})`,
      );
    }
  }
  return result;
}

function nonEmpty(path: string | undefined): string | undefined {
  return path === undefined || path === '' ? undefined : path;
}

async function readText(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TlsConfigError(flag, `cannot read ${path}: ${reason}`, { cause: error });
  }
}

async function parseCertificates(flag: string, path: string, pem: string): Promise<X509Certificate[]> {
  const x509 = await loadX509();
  let blocks: { type: string; rawData: ArrayBuffer }[];
  try {
    blocks = x509.PemConverter.decodeWithHeaders(pem);
  } catch (error) {
    throw new TlsConfigError(flag, `${path} is not valid PEM`, { cause: error });
  }
  const certificates = blocks.filter((block) => block.type === 'CERTIFICATE');
  if (certificates.length === 0) {
    throw new TlsConfigError(flag, `${path} contains no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return certificates.map((block, index) => {
    try {
      return new x509.X509Certificate(block.rawData);
    } catch (error) {
      throw new TlsConfigError(flag, `certificate ${index + 1} in ${path} cannot be parsed as X.509`, {
        cause: error,
      });
    }
  });
}

function parsePrivateKey(path: string, pem: string): KeyObject {
  if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new TlsConfigError(keyFlag, `${path} contains no unencrypted PEM private key`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new TlsConfigError(keyFlag, `${path} holds a private key that cannot be parsed`, { cause: error });
  }
}

// A signature made with the key must verify with the certificate's public key: this works for
// every key type without comparing encodings.
function keyMatchesCertificate(key: KeyObject, certificate: X509Certificate): boolean {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(certificate.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return false;
  }
  if (publicKey.asymmetricKeyType !== key.asymmetricKeyType) return false;
  // Ed25519/Ed448 take no separate digest; RSA and ECDSA use SHA-256.
  const digest = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  const challenge = randomBytes(32);
  try {
    return verify(digest, challenge, publicKey, sign(digest, challenge, key));
  } catch {
    return false;
  }
}
