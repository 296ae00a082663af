import type { Logger } from '@peerpods/log';
import { Code, dial, type ServerCall, TtrpcClient, TtrpcError } from '@peerpods/ttrpc';

// kata-agent starts after the forwarder may; upstream waits this long for its socket.
export const AGENT_DIAL_BUDGET_MS = 150_000;
const RETRY_MS = 200;

/**
 * The one connection to kata-agent's socket, dialled lazily and redialled after it is lost. A call
 * that arrives while the agent is away waits for it, within its own deadline and the dial budget;
 * calls in flight when the agent goes fail at once (the client is closed), never hang.
 */
export class AgentConnection {
  private client: TtrpcClient | undefined;
  private dialing: Promise<TtrpcClient> | undefined;
  private closed = false;

  constructor(
    private readonly socketPath: string,
    private readonly log: Logger,
    private readonly budgetMs = AGENT_DIAL_BUDGET_MS,
  ) {}

  /** The live connection for `call`, dialling if needed; fails when the call is cancelled first. */
  current(call?: ServerCall): TtrpcClient | Promise<TtrpcClient> {
    // Returned synchronously when connected: the forwarding hot path then awaits nothing extra.
    if (this.client && !this.client.closed) return this.client;
    if (this.closed) return Promise.reject(new TtrpcError(Code.Unavailable, 'forwarder is shutting down'));
    this.dialing ??= this.dialWithRetry().finally(() => {
      this.dialing = undefined;
    });
    if (!call) return this.dialing;
    return new Promise((resolve, reject) => {
      const stop = call.onAbort(() =>
        reject(new TtrpcError(Code.DeadlineExceeded, 'context deadline exceeded')),
      );
      this.dialing!.then(resolve, reject).finally(stop);
    });
  }

  close(): void {
    this.closed = true;
    this.client?.close();
  }

  private async dialWithRetry(): Promise<TtrpcClient> {
    const until = performance.now() + this.budgetMs;
    let lastError: unknown;
    let logged = false;
    while (!this.closed && performance.now() < until) {
      try {
        const socket = await dial({ path: this.socketPath }, { timeoutMs: 5000 });
        if (this.closed) {
          socket.destroy();
          break;
        }
        this.client = new TtrpcClient(socket);
        this.log.info(`connected to kata-agent at ${this.socketPath}`);
        this.client.onClose(() => {
          if (!this.closed) this.log.info(`lost the connection to kata-agent at ${this.socketPath}`);
        });
        return this.client;
      } catch (error) {
        lastError = error;
        if (!logged) {
          this.log.info(`waiting for kata-agent at ${this.socketPath}: ${(error as Error).message}`);
          logged = true;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
    throw new TtrpcError(
      Code.Unavailable,
      `kata-agent at ${this.socketPath} is not reachable: ${(lastError as Error | undefined)?.message ?? 'shutting down'}`,
    );
  }
}
