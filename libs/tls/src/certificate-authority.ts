import type { webcrypto } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { createSelfSignedClientCertificate, type SelfSignedClientOptions } from './client-certificate';
import { ecdsaP256, generateKeyPair, privateKeyToPem } from './key-pair';
import type { PemPair } from './pem-pair';
import { defaultValidityDays, randomSerialHex, validityWindow } from './validity';
import { loadX509, nodeCrypto } from './x509-runtime';

export interface CertificateAuthorityOptions {
  /** Subject CN of the CA; default `cloud-api-adaptor-ca`. */
  readonly commonName?: string;
  /** Days from now; default 730 (two years, as upstream). */
  readonly validityDays?: number;
  /**
   * Make the private key exportable ({@link CertificateAuthority.exportPem}), for a daemon that must
   * keep trusting its running pod VMs across a restart. Default false: the key never leaves memory.
   */
  readonly exportable?: boolean;
}

/** A CA as {@link CertificateAuthority.exportPem} gives it and {@link CertificateAuthority.load} takes it. */
export interface CertificateAuthorityPem {
  readonly certPem: string;
  /** PKCS#8. */
  readonly keyPem: string;
}

export interface IssueOptions {
  /** Days from now; default the CA's own validity. Never extends past the CA's notAfter. */
  readonly validityDays?: number;
  /** IP addresses to name besides the DNS name (a test server dialled as https://127.0.0.1). */
  readonly ipAddresses?: readonly string[];
}

// One DNS name: labels of letters, digits and inner hyphens. Instance names (`podvm-<pod>-<id8>`) fit.
const dnsNamePattern =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * The CA of cloud-api-adaptor: created in memory at startup, its private key non-extractable unless
 * it is created `exportable` (a daemon that keeps its pod VMs across restarts saves it, 0600). Each pod VM gets a server certificate from it whose only
 * subject alternative name is the VM's instance name, which is also the name the proxy dials with.
 */
export class CertificateAuthority {
  /** The CA certificate, PEM. Clients put it in their trust list (`ca`). */
  readonly certPem: string;
  readonly notAfter: Date;
  readonly #cert: X509Certificate;
  readonly #signingKey: webcrypto.CryptoKey;
  readonly #keyId: string;
  readonly #validityDays: number;
  readonly #exportableKey: webcrypto.CryptoKey | undefined;

  private constructor(
    cert: X509Certificate,
    signingKey: webcrypto.CryptoKey,
    keyId: string,
    validityDays: number,
    exportableKey: webcrypto.CryptoKey | undefined,
  ) {
    this.#exportableKey = exportableKey;
    this.#cert = cert;
    this.#signingKey = signingKey;
    this.#keyId = keyId;
    this.#validityDays = validityDays;
    this.certPem = cert.toString('pem');
    this.notAfter = cert.notAfter;
  }

  static async create(options: CertificateAuthorityOptions = {}): Promise<CertificateAuthority> {
    const validityDays = options.validityDays ?? defaultValidityDays;
    const commonName = options.commonName ?? 'cloud-api-adaptor-ca';
    if (commonName === '') throw new RangeError('commonName must not be empty');
    const x509 = await loadX509();
    const keys = await generateKeyPair(options.exportable === true);
    const { notBefore, notAfter } = validityWindow(validityDays);
    const subjectKeyId = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto);
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        name: [{ CN: [commonName] }],
        keys,
        serialNumber: randomSerialHex(),
        notBefore,
        notAfter,
        signingAlgorithm: ecdsaP256,
        extensions: [
          // pathLen 0: this CA signs leaves only.
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
            true,
          ),
          subjectKeyId,
        ],
      },
      nodeCrypto,
    );
    return new CertificateAuthority(
      cert,
      keys.privateKey,
      subjectKeyId.keyId,
      validityDays,
      options.exportable ? keys.privateKey : undefined,
    );
  }

  /**
   * A CA saved by {@link exportPem}. The key is imported non-extractable; the certificate must be a
   * CA certificate, still valid, whose public key belongs to the key (else a RangeError says which).
   */
  static async load(
    pem: CertificateAuthorityPem,
    options: { validityDays?: number } = {},
  ): Promise<CertificateAuthority> {
    const x509 = await loadX509();
    const cert = new x509.X509Certificate(pem.certPem);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) throw new RangeError('the saved CA certificate is not a CA certificate');
    if (cert.notAfter.getTime() <= Date.now())
      throw new RangeError(`the saved CA certificate expired on ${cert.notAfter.toISOString()}`);
    const der = x509.PemConverter.decodeFirst(pem.keyPem);
    const signingKey = await nodeCrypto.subtle.importKey('pkcs8', der, ecdsaP256, false, ['sign']);
    // A signature the certificate's public key verifies is the proof that key and certificate belong together.
    const probe = new Uint8Array([1, 2, 3]);
    const signature = await nodeCrypto.subtle.sign(ecdsaP256, signingKey, probe);
    const publicKey = await cert.publicKey.export(ecdsaP256, ['verify'], nodeCrypto);
    if (!(await nodeCrypto.subtle.verify(ecdsaP256, publicKey, signature, probe)))
      throw new RangeError('the saved CA key does not belong to the saved CA certificate');
    const keyId = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    if (keyId === undefined) throw new RangeError('the saved CA certificate has no subject key identifier');
    return new CertificateAuthority(
      cert,
      signingKey,
      keyId,
      options.validityDays ?? defaultValidityDays,
      undefined,
    );
  }

  /** The certificate and PKCS#8 key, for a CA created `exportable`; throws otherwise. */
  async exportPem(): Promise<CertificateAuthorityPem> {
    if (this.#exportableKey === undefined) throw new Error('this CA was not created exportable');
    return { certPem: this.certPem, keyPem: await privateKeyToPem(this.#exportableKey) };
  }

  /** A server certificate for one pod VM: SAN DNS=`dnsName`, serverAuth, a fresh P-256 key. */
  async issueServerCertificate(dnsName: string, options: IssueOptions = {}): Promise<PemPair> {
    if (!dnsNamePattern.test(dnsName))
      throw new RangeError(`not a valid DNS name: ${JSON.stringify(dnsName)}`);
    const x509 = await loadX509();
    const keys = await generateKeyPair(true);
    const { notBefore, notAfter } = validityWindow(
      options.validityDays ?? this.#validityDays,
      new Date(),
      this.#cert.notAfter,
    );
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject: [{ CN: [dnsName] }],
        // The CA's own encoded name, so the issuer bytes match its subject exactly (Go compares raw bytes).
        issuer: this.#cert.subjectName,
        publicKey: keys.publicKey,
        signingKey: this.#signingKey,
        serialNumber: randomSerialHex(),
        notBefore,
        notAfter,
        signingAlgorithm: ecdsaP256,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: 'dns', value: dnsName },
            ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
          ]),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
          // Lets verifiers pick this CA by key id rather than by name alone.
          new x509.AuthorityKeyIdentifierExtension(this.#keyId),
        ],
      },
      nodeCrypto,
    );
    return { certPem: cert.toString('pem'), keyPem: await privateKeyToPem(keys.privateKey) };
  }

  /**
   * The separate self-signed client certificate of cloud-api-adaptor (not issued by any CA); see
   * `createSelfSignedClientCertificate`.
   */
  static selfSignedClientCertificate(
    commonName: string,
    options: SelfSignedClientOptions = {},
  ): Promise<PemPair> {
    return createSelfSignedClientCertificate(commonName, options);
  }
}
