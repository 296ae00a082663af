import type tls from 'node:tls';
import type { Logger } from '@peerpods/log';
import { clientTlsOptions, loadCustomTlsFiles, parseTlsProfile } from '@peerpods/tls';
import type { DaemonConfig } from './daemon-config';
import { loadOrCreateTlsState } from './tls-state';

/** The apf.json fields that carry TLS material and settings to the forwarder. */
export interface ApfTlsFields {
  tlsServerCert?: string;
  tlsServerKey?: string;
  tlsClientCa?: string;
  tlsMinVersion?: string;
  tlsCipherSuites?: string[];
}

/** What the daemon needs from its TLS set-up, per sandbox. */
export interface SandboxTls {
  /** apf.json fields for the pod VM called `instanceName` (issues its server certificate). */
  apfFields(instanceName: string): Promise<ApfTlsFields>;
  /** Options for dialling the forwarder of `instanceName`. */
  clientOptions(instanceName: string): tls.ConnectionOptions;
}

// With a custom CA, upstream dials every forwarder by this fixed name.
const CUSTOM_CA_SERVER_NAME = 'podvm-server';

/**
 * Mutual TLS between the daemon and each forwarder, as upstream sets it up: by default a built-in
 * ECDSA P-256 CA (kept in the pods dir, 0600, so that a restarted daemon's pod VMs still trust it) that issues each pod VM a server certificate named after the instance, plus a
 * self-signed client certificate the forwarder trusts; or the custom CA and certificate files.
 * Returns undefined with -disable-tls. Invalid TLS options fail here, at start, naming the option.
 */
export async function createSandboxTls(config: DaemonConfig, log: Logger): Promise<SandboxTls | undefined> {
  if (config.disableTls) {
    log.warn('TLS is disabled (-disable-tls): the agent protocol to pod VMs travels in plain TCP');
    return undefined;
  }
  const profile = parseTlsProfile({ minVersion: config.tlsMinVersion, cipherSuites: config.tlsCipherSuites });
  if (config.tlsSkipVerify)
    log.warn('-tls-skip-verify is set: forwarder certificates are not verified (testing only)');
  if (profile.goMinVersion || profile.cipherSuites.length > 0) {
    log.info('the TLS profile is baked into peer pod VMs at creation time via user-data');
  }
  const profileFields: ApfTlsFields = {
    ...(profile.goMinVersion ? { tlsMinVersion: profile.goMinVersion } : {}),
    ...(profile.cipherSuites.length ? { tlsCipherSuites: [...profile.cipherSuites] } : {}),
  };

  if (config.caCertFile || config.certFile || config.certKey) {
    const files = await loadCustomTlsFiles({
      caCertFile: config.caCertFile,
      certFile: config.certFile,
      keyFile: config.certKey,
    });
    return {
      apfFields: async () => profileFields,
      clientOptions: () =>
        clientTlsOptions({
          ca: config.tlsSkipVerify ? undefined : files.caCertPem,
          cert: files.certPem,
          key: files.keyPem,
          serverName: CUSTOM_CA_SERVER_NAME,
          profile,
          skipVerify: config.tlsSkipVerify,
        }),
    };
  }

  const { ca, client } = await loadOrCreateTlsState(config.podsDir, log);
  return {
    apfFields: async (instanceName) => {
      const server = await ca.issueServerCertificate(instanceName);
      return {
        ...profileFields,
        tlsServerKey: server.keyPem,
        tlsServerCert: server.certPem,
        tlsClientCa: client.certPem,
      };
    },
    clientOptions: (instanceName) =>
      clientTlsOptions({
        // Upstream fails every dial with -tls-skip-verify and its own CA; skipping means no CA here.
        ca: config.tlsSkipVerify ? undefined : ca.certPem,
        cert: client.certPem,
        key: client.keyPem,
        serverName: instanceName,
        profile,
        skipVerify: config.tlsSkipVerify,
      }),
  };
}
