import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';

/** A TLS echo server on 127.0.0.1 that records what reached the application. */
export interface EchoServer {
  readonly port: number;
  /** Connections that completed the handshake and verification (`secureConnection`). */
  secureConnections: number;
  /** Application bytes the server received. */
  bytesReceived: number;
  /** Errors of handshakes the server refused (`tlsClientError`). */
  readonly clientErrors: (Error & { code?: string })[];
  /** Resolves with the `index`-th refused handshake's error once it has been reported. */
  clientError(index: number): Promise<Error & { code?: string }>;
  close(): Promise<void>;
}

export async function startEchoServer(options: tls.TlsOptions): Promise<EchoServer> {
  const server = tls.createServer(options);
  const sockets = new Set<tls.TLSSocket>();
  const state: EchoServer = {
    port: 0,
    secureConnections: 0,
    bytesReceived: 0,
    clientErrors: [],
    clientError: (index) =>
      new Promise((resolve) => {
        const check = (): void => {
          const error = state.clientErrors[index];
          if (error === undefined) server.once('tlsClientError', () => setImmediate(check));
          else resolve(error);
        };
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('secureConnection', (socket) => {
    state.secureConnections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      state.bytesReceived += chunk.length;
      socket.write(chunk);
    });
  });
  server.on('tlsClientError', (error) => state.clientErrors.push(error));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { port: (server.address() as AddressInfo).port });
}

export interface ExchangeResult {
  /** The client's error, if any (verification failures, alerts, resets). */
  readonly error: (Error & { code?: string }) | undefined;
  /** Whether the client's side of the handshake completed. */
  readonly handshakeCompleted: boolean;
  /** What came back from the echo server. */
  readonly received: string;
  readonly protocol: string | null;
  readonly cipher: string | undefined;
}

/** Connects, sends `ping` once the handshake is done, and waits for the echo or the connection's end. */
export function exchange(port: number, options: tls.ConnectionOptions): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    let error: (Error & { code?: string }) | undefined;
    let handshakeCompleted = false;
    let protocol: string | null = null;
    let cipher: string | undefined;
    let received = '';
    socket.on('secureConnect', () => {
      handshakeCompleted = true;
      protocol = socket.getProtocol();
      cipher = socket.getCipher().standardName;
      socket.write('ping');
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= 4) socket.end();
    });
    socket.on('error', (e) => {
      error = e;
    });
    socket.on('close', () => resolve({ error, handshakeCompleted, received, protocol, cipher }));
  });
}
