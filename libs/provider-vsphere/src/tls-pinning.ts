import { Agent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type TLSSocket } from 'node:tls';

/** How the vCenter certificate is trusted: a CA (PEM), or the certificate's SHA-1 thumbprint as govc takes it. */
export type VcenterTrust = { ca: string } | { thumbprint: string } | { system: true };

/** `AA:BB:…` (40 hex digits, any case, colons optional) in the form Node reports fingerprints. */
export function normalizeThumbprint(text: string): string {
  const hex = text.replaceAll(':', '').trim().toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) {
    throw new Error(
      `invalid thumbprint ${JSON.stringify(text)}: expected the SHA-1 of the certificate, 20 hex bytes`,
    );
  }
  return hex.match(/../g)!.join(':');
}

/**
 * An HTTPS agent that verifies vCenter's certificate: against the CA (or the system's), or, pinned,
 * against its thumbprint. With a thumbprint the chain is not checked (self-signed vCenters are the
 * reason thumbprints exist), but the certificate must be exactly that one, and the connection is
 * handed to the request only after the check: no byte is sent to a certificate that does not match.
 */
export function vcenterAgent(trust: VcenterTrust): Agent {
  const options: AgentOptions = { keepAlive: true, maxSockets: 8 };
  if ('ca' in trust) return new Agent({ ...options, ca: trust.ca });
  if ('system' in trust) return new Agent(options);
  const wanted = normalizeThumbprint(trust.thumbprint);
  return new (class PinnedAgent extends Agent {
    override createConnection(
      connectOptions: Parameters<Agent['createConnection']>[0],
      callback?: (error: Error | null, socket: Duplex) => void,
    ): Duplex | null | undefined {
      const socket: TLSSocket = connect({ ...(connectOptions as object), rejectUnauthorized: false });
      socket.once('secureConnect', () => {
        const fingerprint = socket.getPeerCertificate().fingerprint;
        if (fingerprint === wanted) {
          callback?.(null, socket);
          return;
        }
        socket.destroy();
        callback?.(
          new Error(`vCenter's certificate has thumbprint ${fingerprint}, not the configured ${wanted}`),
          socket,
        );
      });
      socket.once('error', (error) => callback?.(error, socket));
      return undefined;
    }
  })(options);
}
