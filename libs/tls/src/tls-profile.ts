import type { SecureVersion } from 'node:tls';
import { nodeCipherString, tls12CipherSuites, tls13CipherSuites } from './cipher-suites';
import { TlsConfigError } from './errors';

/** Go's names for the versions, as written in apf.json `tls-min-version`. */
export type GoTlsVersion = 'VersionTLS12' | 'VersionTLS13';

/**
 * A validated TLS profile. It carries both forms: Go's names for apf.json (read by upstream's Go
 * forwarder as well as ours) and Node's options for the sockets of this process.
 */
export interface TlsProfile {
  /** Node `minVersion`; TLS 1.2 when nothing was set. */
  readonly minVersion: Extract<SecureVersion, 'TLSv1.2' | 'TLSv1.3'>;
  /** For apf.json `tls-min-version`: Go's name, or '' when not set (the field is then omitted). */
  readonly goMinVersion: GoTlsVersion | '';
  /** For apf.json `tls-cipher-suites`: IANA names in the order given, without duplicates. */
  readonly cipherSuites: readonly string[];
  /** Node `ciphers` when suites were given (TLS 1.2 list plus the TLS 1.3 defaults); else undefined. */
  readonly ciphers: string | undefined;
}

export interface TlsProfileInput {
  /** `-tls-min-version` / `TLS_MIN_VERSION`, or apf.json `tls-min-version`. */
  readonly minVersion?: string | undefined;
  /** `-tls-cipher-suites` (comma list) or apf.json `tls-cipher-suites` (array). */
  readonly cipherSuites?: string | readonly string[] | undefined;
}

/** What errors call the two settings: the daemon's flags by default, or env var names. */
export interface TlsSettingNames {
  readonly minVersion: string;
  readonly cipherSuites: string;
}

const FLAG_NAMES: TlsSettingNames = { minVersion: '-tls-min-version', cipherSuites: '-tls-cipher-suites' };

// Upstream's Go names first; the short forms are a convenience and are written out as Go's names.
const acceptedVersions: ReadonlyMap<string, GoTlsVersion> = new Map([
  ['VersionTLS12', 'VersionTLS12'],
  ['VersionTLS13', 'VersionTLS13'],
  ['1.2', 'VersionTLS12'],
  ['1.3', 'VersionTLS13'],
  ['TLSv1.2', 'VersionTLS12'],
  ['TLSv1.3', 'VersionTLS13'],
]);

const rejectedVersions = new Set([
  'VersionTLS10',
  'VersionTLS11',
  '1.0',
  '1.1',
  'TLSv1',
  'TLSv1.0',
  'TLSv1.1',
]);

/** The profile used when nothing is configured: TLS 1.2 minimum, library default suites. */
export const defaultTlsProfile: TlsProfile = parseTlsProfile({});

/**
 * Validates `-tls-min-version` and `-tls-cipher-suites` as upstream does at startup: TLS 1.0 and 1.1
 * are refused, suites must be known secure TLS 1.2 suites, and suites together with a TLS 1.3
 * minimum are refused (TLS 1.3 suites are not configurable).
 */
export function parseTlsProfile(input: TlsProfileInput, names: TlsSettingNames = FLAG_NAMES): TlsProfile {
  const goMinVersion = parseMinVersion(input.minVersion ?? '', names.minVersion);
  const cipherSuites = parseCipherSuites(input.cipherSuites ?? [], names.cipherSuites);
  if (goMinVersion === 'VersionTLS13' && cipherSuites.length > 0) {
    throw new TlsConfigError(
      names.cipherSuites,
      `cipher suites cannot be configured with TLS 1.3 (${names.minVersion} ${goMinVersion}); remove them or use VersionTLS12`,
    );
  }
  return {
    minVersion: goMinVersion === 'VersionTLS13' ? 'TLSv1.3' : 'TLSv1.2',
    goMinVersion,
    cipherSuites,
    ciphers: cipherSuites.length > 0 ? nodeCipherString(cipherSuites) : undefined,
  };
}

function parseMinVersion(raw: string, minVersionFlag: string): GoTlsVersion | '' {
  const value = raw.trim();
  if (value === '') return '';
  const version = acceptedVersions.get(value);
  if (version !== undefined) return version;
  const valid = 'valid values: VersionTLS12, VersionTLS13 (or 1.2, 1.3, TLSv1.2, TLSv1.3)';
  if (rejectedVersions.has(value)) {
    throw new TlsConfigError(
      minVersionFlag,
      `${JSON.stringify(value)} is insecure: TLS 1.2 is the minimum; ${valid}`,
    );
  }
  throw new TlsConfigError(minVersionFlag, `unknown TLS version ${JSON.stringify(value)}; ${valid}`);
}

function parseCipherSuites(raw: string | readonly string[], cipherSuitesFlag: string): string[] {
  const items = typeof raw === 'string' ? raw.split(',') : raw.flatMap((item) => item.split(','));
  const names: string[] = [];
  for (const item of items) {
    const name = item.trim();
    if (name === '' || names.includes(name)) continue;
    if (!tls12CipherSuites.has(name))
      throw new TlsConfigError(cipherSuitesFlag, unsupportedSuiteMessage(name));
    names.push(name);
  }
  return names;
}

function unsupportedSuiteMessage(name: string): string {
  const valid = `valid values: ${[...tls12CipherSuites.keys()].join(', ')}`;
  if (tls13CipherSuites.includes(name)) {
    return `${name} is a TLS 1.3 suite; TLS 1.3 suites are always enabled and cannot be configured; ${valid}`;
  }
  return `unsupported or insecure cipher suite ${JSON.stringify(name)}; ${valid}`;
}
