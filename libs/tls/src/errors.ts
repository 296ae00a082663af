/**
 * A TLS setting or file given by the operator is unusable. The message names the flag (for example
 * `-tls-min-version` or `-cert-file`) so that startup can print it as is and exit, like upstream does.
 */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';

  /** The flag the problem is about, e.g. `-cert-key`. */
  readonly flag: string;

  constructor(flag: string, message: string, options?: { cause?: unknown }) {
    super(`${flag}: ${message}`, options);
    this.flag = flag;
  }
}
