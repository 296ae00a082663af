import { rmSync } from 'node:fs';
import type { Logger } from '@peerpods/log';
import { AgentService, HealthService, methodNames } from '@peerpods/protocols';
import {
  Code,
  type ConnectTarget,
  describeTarget,
  dial,
  forwardingMethods,
  TtrpcClient,
  TtrpcError,
  TtrpcServer,
} from '@peerpods/ttrpc';
import { agentCallInterceptors } from './agent-interceptors';
import { retryWithBackoff } from './backoff';
import { closeLeavingSuccessor, inodeOf } from './served-socket';

export interface AgentProxyOptions {
  /** `<pods-dir>/<id>/agent.ttrpc`, where the kata shim connects. */
  socketPath: string;
  /** The forwarder in the pod VM: `<ip>:<forwarder-port>`, TLS unless disabled. */
  target: ConnectTarget;
  proxyTimeoutMs: number;
  log: Logger;
  /** Told of each forwarded call once answered, with its status code (metrics). */
  onCall?: (method: string, code: number) => void;
}

// One dial attempt never waits longer than this, so a retry comes soon after a lost SYN.
const DIAL_ATTEMPT_MS = 5000;
// Redialling a lost forwarder connection for a call: fail fast rather than hold the shim.
const REDIAL_MS = 2000;

/**
 * The per-sandbox agent proxy: serves grpc.AgentService and grpc.Health on the sandbox's unix
 * socket and forwards every call, payload bytes untouched, over ONE connection to the forwarder.
 * Only CreateContainer may be rewritten (agent-interceptors.ts).
 */
export class AgentProxy {
  private server: TtrpcServer | undefined;
  /** The socket file's identity once listening: a newer daemon's file at the same path is not ours. */
  private socketInode: number | undefined;
  private upstream: TtrpcClient | undefined;
  private redialing: Promise<TtrpcClient> | undefined;
  private stopped = false;

  constructor(private readonly options: AgentProxyOptions) {}

  /**
   * Connects to the forwarder (retrying with backoff within the proxy timeout and the signal), then
   * listens on the agent socket. Resolves once the shim can connect.
   */
  async start(signal: AbortSignal): Promise<void> {
    const { log, target } = this.options;
    const address = describeTarget(target);
    log.info(`Trying to establish agent proxy connection to ${address}`);
    // The last attempt often just runs out of budget; the error worth reporting is the one before.
    let lastRetryError: Error | undefined;
    const socket = await retryWithBackoff(
      (remaining) => dial(target, { signal, timeoutMs: Math.min(remaining, DIAL_ATTEMPT_MS) }),
      {
        budgetMs: this.options.proxyTimeoutMs,
        maxDelayMs: 2000,
        signal,
        onRetry: (error) => {
          lastRetryError = error as Error;
          log.info(`Retrying failed agent proxy connection: ${lastRetryError.message}`);
        },
      },
    ).catch((error: unknown) => {
      if (signal.aborted) throw error;
      const final = (error as Error).message;
      const detail =
        lastRetryError && /timed out$/.test(final)
          ? `${final} (before that: ${lastRetryError.message})`
          : final;
      throw new Error(`failed to establish agent proxy connection to ${address}: ${detail}`, {
        cause: error,
      });
    });
    if (this.stopped) {
      socket.destroy();
      throw new Error('agent proxy stopped while connecting');
    }
    this.upstream = new TtrpcClient(socket);
    log.info(`established agent proxy connection to ${address}`);

    const current = () => this.currentUpstream();
    const interceptors = agentCallInterceptors(log);
    const counted = this.options.onCall ? { onFinished: this.options.onCall } : {};
    this.server = new TtrpcServer({ log: (message) => log.warn(message) })
      .register(
        AgentService.fullName,
        forwardingMethods(methodNames(AgentService), current, { interceptors, ...counted }),
      )
      .register(HealthService.fullName, forwardingMethods(methodNames(HealthService), current, counted));
    await this.server.listen({ path: this.options.socketPath, mode: 0o600 });
    this.socketInode = inodeOf(this.options.socketPath);
  }

  /**
   * Stops serving the shim and drops the forwarder connection; the socket file is removed, unless a
   * newer daemon serves that path by now (it took the sandbox over).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.upstream?.close();
    const { server, socketInode } = this;
    if (!server) return;
    if (socketInode === undefined) return server.close();
    const path = this.options.socketPath;
    // The shim keeps its agent connection open across StopVM: cut it rather than wait for it.
    await closeLeavingSuccessor(path, socketInode, () => server.close());
    if (inodeOf(path) === socketInode) rmSync(path, { force: true });
  }

  /** The forwarder connection; if it was lost, one quick redial shared by the calls waiting for it. */
  private currentUpstream(): TtrpcClient | Promise<TtrpcClient> {
    if (this.upstream && !this.upstream.closed) return this.upstream;
    if (this.stopped) return Promise.reject(new TtrpcError(Code.Unavailable, 'agent proxy is stopped'));
    this.redialing ??= dial(this.options.target, { timeoutMs: REDIAL_MS })
      .then((socket) => {
        // StopVM may have come while we dialled: nothing may keep this connection alive then.
        if (this.stopped) {
          socket.destroy();
          throw new Error('agent proxy is stopped');
        }
        this.upstream = new TtrpcClient(socket);
        this.options.log.info(
          `re-established agent proxy connection to ${describeTarget(this.options.target)}`,
        );
        return this.upstream;
      })
      .catch((error: unknown) => {
        // A refused or failed dial is a transport failure, which kata expects as Unavailable.
        if (error instanceof TtrpcError) throw error;
        throw new TtrpcError(
          Code.Unavailable,
          `agent proxy: connecting to ${describeTarget(this.options.target)}: ${(error as Error).message}`,
        );
      })
      .finally(() => {
        this.redialing = undefined;
      });
    return this.redialing;
  }
}
