import { ecdsaP256, generateKeyPair, privateKeyToPem } from './key-pair';
import type { PemPair } from './pem-pair';
import { defaultValidityDays, randomSerialHex, validityWindow } from './validity';
import { loadX509, nodeCrypto } from './x509-runtime';

export interface SelfSignedClientOptions {
  /** Days from now; default 730 (two years, as upstream). */
  readonly validityDays?: number;
}

/**
 * The client certificate cloud-api-adaptor presents to every forwarder. It is self-signed, and its
 * own PEM goes into apf.json as `tls-client-ca`: the forwarder trusts exactly this certificate.
 *
 * To be accepted as its own trust anchor it carries the extensions of a CA (CA:true, keyCertSign,
 * a subject key identifier). Go accepts a self-signed leaf found in the root pool either way, but
 * OpenSSL only treats a certificate as self-issued when its key usage allows certificate signing.
 * clientAuth is the only extended key usage, which both Go and OpenSSL check at depth 0.
 */
export async function createSelfSignedClientCertificate(
  commonName: string,
  options: SelfSignedClientOptions = {},
): Promise<PemPair> {
  if (commonName === '') throw new RangeError('commonName must not be empty');
  const x509 = await loadX509();
  const keys = await generateKeyPair(true);
  const { notBefore, notAfter } = validityWindow(options.validityDays ?? defaultValidityDays);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [commonName] }],
      keys,
      serialNumber: randomSerialHex(),
      notBefore,
      notAfter,
      signingAlgorithm: ecdsaP256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
}
