/**
 * TLS 1.2 cipher suites accepted in `-tls-cipher-suites`: the forward-secret AEAD suites among the ones
 * Go calls secure, keyed by the IANA name Go uses, with the OpenSSL name Node's `ciphers` option needs.
 * Go also accepts the CBC and static-RSA suites; they are left out on purpose.
 */
export const tls12CipherSuites: ReadonlyMap<string, string> = new Map([
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
]);

/**
 * The three TLS 1.3 suites. Go does not let them be configured and always enables all three; the
 * same list is appended to every Node `ciphers` string so TLS 1.3 behaves the same way (see
 * `nodeCipherString`).
 */
export const tls13CipherSuites: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
];

/**
 * The value for Node's `ciphers` option. Node splits it: names starting with `TLS_` configure TLS 1.3,
 * the rest TLS 1.2. A string with no TLS 1.3 name would make Node silently cap the context at TLS 1.2,
 * so the three TLS 1.3 suites are always included, leaving TLS 1.3 at its defaults as Go does.
 */
export function nodeCipherString(ianaNames: readonly string[]): string {
  const tls12 = ianaNames.map((name) => {
    const openssl = tls12CipherSuites.get(name);
    if (openssl === undefined) throw new RangeError(`unknown cipher suite ${name}`);
    return openssl;
  });
  return [...tls12, ...tls13CipherSuites].join(':');
}
