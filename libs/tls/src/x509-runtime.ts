import { webcrypto } from 'node:crypto';

type X509Module = typeof import('@peculiar/x509');

/** Node's WebCrypto, passed to @peculiar/x509 explicitly rather than relying on a global. */
export const nodeCrypto: webcrypto.Crypto = webcrypto;

let loading: Promise<X509Module> | undefined;

/**
 * Loads @peculiar/x509 on first use. Importing it costs about 0.1 s bundled and 0.25 s from
 * node_modules (it pulls in ~20 ASN.1 modules), so only the code paths that build or parse
 * certificates pay for it, not every binary's startup.
 * The library's dependency injection (tsyringe) needs a Reflect metadata polyfill loaded first.
 */
export function loadX509(): Promise<X509Module> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(nodeCrypto);
    return x509;
  })();
  return loading;
}
