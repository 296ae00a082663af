import { readFile } from 'node:fs/promises';
import type tls from 'node:tls';
import type { ApfConfig } from '@peerpods/apf-config';
import type { Logger } from '@peerpods/log';
import { parseTlsProfile, serverTlsOptions } from '@peerpods/tls';

export interface TlsFlags {
  caCertFile?: string;
  certFile?: string;
  certKey?: string;
  tlsSkipVerify?: boolean;
  disableTls?: boolean;
}

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`-${flag} ${path}: ${(error as Error).message}`);
  }
}

/**
 * The forwarder's TLS server options, as upstream decides them: the certificate from the flags or
 * else from apf.json; the client CA from -ca-cert-file or else apf.json's tls-client-ca, and with a
 * CA every client must present a certificate that chains to it. Undefined with -disable-tls.
 */
export async function forwarderTlsOptions(
  flags: TlsFlags,
  apf: ApfConfig,
  configPath: string,
  log: Logger,
): Promise<tls.TlsOptions | undefined> {
  if (flags.disableTls) {
    log.warn('TLS is disabled (-disable-tls): the agent protocol is served in plain TCP');
    return undefined;
  }
  if (Boolean(flags.certFile) !== Boolean(flags.certKey)) {
    throw new Error('-cert-file and -cert-key must be given together');
  }
  const cert = flags.certFile ? await readFlagFile('cert-file', flags.certFile) : apf.tlsServerCert;
  const key = flags.certKey ? await readFlagFile('cert-key', flags.certKey) : apf.tlsServerKey;
  if (!cert || !key) {
    throw new Error(
      `no TLS server certificate: give -cert-file and -cert-key, or tls-server-cert and tls-server-key in ${configPath} (or -disable-tls)`,
    );
  }
  const clientCa = flags.caCertFile ? await readFlagFile('ca-cert-file', flags.caCertFile) : apf.tlsClientCa;
  if (!clientCa) log.warn('no client CA (-ca-cert-file or tls-client-ca): clients are not authenticated');
  const profile = parseTlsProfile({ minVersion: apf.tlsMinVersion, cipherSuites: apf.tlsCipherSuites });
  return serverTlsOptions({
    cert,
    key,
    clientCa: clientCa || undefined,
    profile,
    skipVerify: flags.tlsSkipVerify,
  });
}
