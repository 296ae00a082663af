/** A certificate and its private key, both PEM (the key as PKCS#8, `-----BEGIN PRIVATE KEY-----`). */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}
