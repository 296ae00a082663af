import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { TlsConfigError } from './errors';
import { defaultTlsProfile, type TlsProfile } from './tls-profile';

/** PEM text; several certificates may be concatenated or given as a list. */
export type PemInput = string | readonly string[];

export interface ClientTlsInput {
  /** Trusted CAs for the server certificate: the in-memory CA, or the `-ca-cert-file` contents. */
  readonly ca?: PemInput | undefined;
  /** Client certificate (and chain) and key presented to the server. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The name the server certificate must carry: the instance name, or `podvm-server` with a custom CA. */
  readonly serverName: string;
  readonly profile?: TlsProfile | undefined;
  /** `-tls-skip-verify`: accept any server certificate. Testing only. */
  readonly skipVerify?: boolean | undefined;
}

export interface ServerTlsInput {
  readonly cert: string;
  readonly key: string;
  /** CAs for client certificates; when set, a verified client certificate is required (mTLS). */
  readonly clientCa?: PemInput | undefined;
  readonly profile?: TlsProfile | undefined;
  /** `-tls-skip-verify`: do not ask clients for certificates. Refused together with `clientCa`. */
  readonly skipVerify?: boolean | undefined;
}

// Upstream refuses this combination with the same words (Go's tls config helper).
const insecureWithCa = 'specifying a root certificates file with the insecure flag is not allowed';

/**
 * Options for `tls.connect` from cloud-api-adaptor to a forwarder. The server's name is checked
 * against `serverName` (also sent as SNI). With a profile that lists cipher suites, `ciphers`
 * restricts TLS 1.2 only; TLS 1.3 keeps OpenSSL's three default suites, as in Go.
 *
 * `skipVerify` with a `ca` is refused, like upstream (which then fails every dial; pass no `ca` to
 * really skip verification).
 */
export function clientTlsOptions(input: ClientTlsInput): ConnectionOptions {
  const profile = input.profile ?? defaultTlsProfile;
  if (input.skipVerify === true && input.ca !== undefined) {
    throw new TlsConfigError('-tls-skip-verify', insecureWithCa);
  }
  const options: ConnectionOptions = {
    servername: input.serverName,
    minVersion: profile.minVersion,
    rejectUnauthorized: input.skipVerify !== true,
  };
  if (profile.ciphers !== undefined) options.ciphers = profile.ciphers;
  if (input.ca !== undefined) options.ca = toNodePem(input.ca);
  if (input.cert !== undefined) options.cert = input.cert;
  if (input.key !== undefined) options.key = input.key;
  return options;
}

/**
 * Options for `tls.createServer` in the forwarder. With a client CA the handshake requires a client
 * certificate that chains to it (Go's RequireAndVerifyClientCert). Node then closes connections
 * whose certificate fails verification right after the handshake, without emitting
 * `secureConnection`; with TLS 1.3 the client only notices on its first read.
 */
export function serverTlsOptions(input: ServerTlsInput): TlsOptions {
  const profile = input.profile ?? defaultTlsProfile;
  if (input.skipVerify === true && input.clientCa !== undefined) {
    throw new TlsConfigError('-tls-skip-verify', insecureWithCa);
  }
  const options: TlsOptions = { cert: input.cert, key: input.key, minVersion: profile.minVersion };
  if (profile.ciphers !== undefined) options.ciphers = profile.ciphers;
  if (input.clientCa !== undefined) {
    options.ca = toNodePem(input.clientCa);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  } else {
    options.requestCert = false;
  }
  return options;
}

function toNodePem(pem: PemInput): string | string[] {
  return typeof pem === 'string' ? pem : [...pem];
}
