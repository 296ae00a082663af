import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** Where a ttrpc connection goes: a unix socket, TCP, or TLS over TCP. */
export type ConnectTarget =
  | { path: string }
  | { host: string; port: number; tls?: undefined }
  | { host: string; port: number; tls: tls.ConnectionOptions };

export interface DialOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export function describeTarget(target: ConnectTarget): string {
  return 'path' in target
    ? `unix:${target.path}`
    : `${target.tls ? 'tls' : 'tcp'}:${target.host}:${target.port}`;
}

/** Opens the byte stream for a ttrpc connection; resolves once connected (and the TLS handshake is done). */
export function dial(target: ConnectTarget, options: DialOptions = {}): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    const readyEvent = 'path' in target || !target.tls ? 'connect' : 'secureConnect';
    if ('path' in target) socket = net.connect({ path: target.path });
    else if (target.tls) socket = tls.connect({ ...target.tls, host: target.host, port: target.port });
    else socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay?.(true);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new Error(`dial ${describeTarget(target)}: timed out`)), options.timeoutMs);
    const onAbort = (): void => fail(new Error(`dial ${describeTarget(target)}: aborted`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    function fail(error: Error): void {
      cleanup();
      socket.destroy();
      reject(error);
    }
    socket.once('error', fail);
    socket.once(readyEvent, () => {
      cleanup();
      resolve(socket);
    });
    if (options.signal?.aborted) onAbort();
  });
}

/** Where a server listens: a unix socket path (a stale file is replaced), or TCP, optionally TLS. */
export type ListenAddress =
  | { path: string; mode?: number }
  | { host: string; port: number; tls?: tls.TlsOptions };

/** Creates and binds a listener; `onConnection` gets each accepted (and, for TLS, handshaken) socket. */
export function listen(address: ListenAddress, onConnection: (socket: Duplex) => void): Promise<net.Server> {
  let server: net.Server;
  if ('path' in address) {
    mkdirSync(dirname(address.path), { recursive: true });
    // A socket file left by a previous run would make listen() fail with EADDRINUSE.
    if (existsSync(address.path)) rmSync(address.path, { force: true });
    server = net.createServer(onConnection);
  } else if (address.tls) {
    // Small frames must not wait for Nagle's algorithm (a call would stall behind a delayed ACK).
    server = tls.createServer(address.tls, (socket) => {
      socket.setNoDelay(true);
      onConnection(socket);
    });
  } else {
    server = net.createServer({ noDelay: true }, onConnection);
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const bound = (): void => {
      server.off('error', reject);
      // accept() can fail later (EMFILE under a connection flood); without a listener that would crash.
      server.on('error', () => {});
      if ('path' in address && address.mode !== undefined) chmodSync(address.path, address.mode);
      resolve(server);
    };
    if ('path' in address) server.listen(address.path, bound);
    else server.listen(address.port, address.host, bound);
  });
}
