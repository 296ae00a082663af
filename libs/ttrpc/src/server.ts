import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { ServerConnection, type ServerEventLog } from './server-connection';
import { type MethodTable, ServiceRegistry } from './services';
import { type ListenAddress, listen } from './transport';

export interface ServerOptions {
  /** Calls in flight per connection before new ones get ResourceExhausted. Default 1024. */
  maxConcurrentStreams?: number;
  /** Where handled-but-notable events go (bad frames, failing handlers). Default: nowhere. */
  log?: ServerEventLog;
}

/**
 * A ttrpc server: a registry of services, any number of listeners, and graceful shutdown.
 * Connections may come from its own listeners or be handed in (`handleConnection`).
 */
export class TtrpcServer {
  private readonly registry = new ServiceRegistry();
  private readonly connections = new Set<ServerConnection>();
  private readonly listeners = new Set<net.Server>();
  private readonly idleWaiters: Array<() => void> = [];
  private stopping = false;
  private readonly maxConcurrentStreams: number;
  private readonly log: ServerEventLog;

  constructor(options: ServerOptions = {}) {
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? 1024;
    this.log = options.log ?? (() => {});
  }

  /** Registers a service by its full name (e.g. `grpc.AgentService`) with raw handlers. */
  register(service: string, methods: MethodTable): this {
    this.registry.register(service, methods);
    return this;
  }

  /** Binds a listener and serves every connection it accepts. */
  async listen(address: ListenAddress): Promise<net.Server> {
    const listener = await listen(address, (socket) => this.handleConnection(socket));
    this.listeners.add(listener);
    listener.once('close', () => this.listeners.delete(listener));
    return listener;
  }

  /** Serves one already-connected stream (a socket from elsewhere, a TLS socket, a test pair). */
  handleConnection(socket: Duplex): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(
      socket,
      this.registry,
      { maxConcurrentStreams: this.maxConcurrentStreams },
      this.log,
      (closed) => {
        this.connections.delete(closed);
        if (this.connections.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      },
    );
    this.connections.add(connection);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, refuses new calls, lets calls in flight finish and closes each connection
   * once it is idle. Whatever is still running after `graceMs` is cut off (its signal aborts).
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const closing = this.closeListeners();
    for (const connection of this.connections) connection.drain();
    if (this.connections.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      for (const connection of this.connections) connection.destroy();
    }
    await closing;
  }

  /** Stops at once: listeners and every connection closed, handlers aborted. */
  async close(): Promise<void> {
    this.stopping = true;
    const closing = this.closeListeners();
    for (const connection of this.connections) connection.destroy();
    await closing;
  }

  private closeListeners(): Promise<void> {
    return Promise.all(
      [...this.listeners].map(
        (listener) =>
          new Promise<void>((resolve) => {
            if (!listener.listening) resolve();
            else listener.close(() => resolve());
          }),
      ),
    ).then(() => undefined);
  }
}
