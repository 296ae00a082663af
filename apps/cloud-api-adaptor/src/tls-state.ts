import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@peerpods/log';
import { CertificateAuthority, createSelfSignedClientCertificate, type PemPair } from '@peerpods/tls';
import { writeFileAtomically } from './atomic-file';

/** Under the pods dir: the built-in CA and the client certificate, so running pod VMs trust a restarted daemon. */
export const TLS_STATE_FILE = 'daemon-tls.json';
const VERSION = 1;

export interface DaemonTlsState {
  ca: CertificateAuthority;
  client: PemPair;
}

/**
 * The built-in CA and client certificate: those a previous run saved in `<podsDir>/daemon-tls.json`
 * when they are usable, else new ones, saved there (0600, atomically) before any pod VM is given
 * them. A file that cannot be used is logged and replaced: the pod VMs that trusted it then cannot
 * be adopted, and are cleaned up as such. The pods dir must exist.
 */
export async function loadOrCreateTlsState(podsDir: string, log: Logger): Promise<DaemonTlsState> {
  const file = join(podsDir, TLS_STATE_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn(`reading ${file}: ${(error as Error).message}; making a new CA`);
  }
  if (text !== undefined) {
    try {
      const saved = JSON.parse(text) as { version?: unknown; ca?: PemPair; client?: PemPair };
      if (saved.version !== VERSION)
        throw new Error(`version ${JSON.stringify(saved.version)}, expected ${VERSION}`);
      if (typeof saved.client?.certPem !== 'string' || typeof saved.client.keyPem !== 'string')
        throw new Error('no client certificate');
      if (typeof saved.ca?.certPem !== 'string' || typeof saved.ca.keyPem !== 'string')
        throw new Error('no CA');
      const ca = await CertificateAuthority.load({ certPem: saved.ca.certPem, keyPem: saved.ca.keyPem });
      log.info(`using the CA and client certificate saved in ${file}`);
      return { ca, client: saved.client };
    } catch (error) {
      log.warn(
        `${file} cannot be used (${(error as Error).message}); making a new CA, so pod VMs from before cannot be adopted`,
      );
    }
  }
  const [ca, client] = await Promise.all([
    CertificateAuthority.create({ exportable: true }),
    createSelfSignedClientCertificate('cloud-api-adaptor'),
  ]);
  const body = JSON.stringify({ version: VERSION, ca: await ca.exportPem(), client });
  writeFileAtomically(file, `${body}\n`);
  return { ca, client };
}
