import { CertificateAuthority, type PemPair } from '../../src/index';

/** Everything a test needs: the trusted CA and pairs, plus look-alikes from other authorities. */
export interface TestPki {
  readonly ca: CertificateAuthority;
  readonly server: PemPair;
  readonly client: PemPair;
  readonly otherCa: CertificateAuthority;
  readonly serverFromOtherCa: PemPair;
  readonly otherClient: PemPair;
  readonly clientFromOtherCa: PemPair;
}

export const serverName = 'podvm-test-12345678';

let pki: Promise<TestPki> | undefined;

/** Made once per test file: key generation is the slow part. */
export function testPki(): Promise<TestPki> {
  pki ??= (async () => {
    const ca = await CertificateAuthority.create();
    const otherCa = await CertificateAuthority.create({ commonName: 'someone-else-ca' });
    return {
      ca,
      server: await ca.issueServerCertificate(serverName),
      client: await CertificateAuthority.selfSignedClientCertificate('cloud-api-adaptor'),
      otherCa,
      serverFromOtherCa: await otherCa.issueServerCertificate(serverName),
      otherClient: await CertificateAuthority.selfSignedClientCertificate('cloud-api-adaptor'),
      // A client certificate signed by a CA, not self-signed: the forwarder must still refuse it.
      clientFromOtherCa: await otherCa.issueServerCertificate('intruder'),
    };
  })();
  return pki;
}
