import { setTimeout as sleep } from 'node:timers/promises';
import { AgentService, agent, HealthService, health } from '@peerpods/protocols';
import {
  type CallOptions,
  Code,
  createServiceClient,
  type ServiceClient,
  TtrpcClient,
  TtrpcError,
} from '@peerpods/ttrpc';
import { type ContainerProcess, containerSpec, randomId } from './container-spec';
import { CallError } from './errors';

/**
 * Per-call budgets in ms (0 = none), kata's for a remote sandbox (`kata_agent.go`): dial retried for
 * `dial_timeout` 30 s; Check 30 s; CreateSandbox (and the other start-up calls) 300 s; CreateContainer
 * `create_container_timeout` 60 s; WaitProcess none; everything else 60 s. Reads are the exception:
 * none here, so a command that is silent for over a minute keeps its later output.
 */
export interface AgentTimeouts {
  dialMs: number;
  checkMs: number;
  createSandboxMs: number;
  createContainerMs: number;
  waitProcessMs: number;
  readMs: number;
  defaultMs: number;
}

export const DEFAULT_AGENT_TIMEOUTS: Readonly<AgentTimeouts> = {
  dialMs: 30_000,
  checkMs: 30_000,
  createSandboxMs: 300_000,
  createContainerMs: 60_000,
  waitProcessMs: 0,
  readMs: 0,
  defaultMs: 60_000,
};

/** How much one ReadStdout/ReadStderr asks for (the shim's copy buffer). */
export const READ_CHUNK_BYTES = 32 * 1024;

/**
 * How long the read loops may go on after WaitProcess answered, before they are cut off and the output
 * read so far is returned. The agent ends a stream only when every writer has closed the pipe, and a
 * background child (`sh -c 'sleep 1000 &'`) inherits it: without a bound such a command would never
 * finish. Output the process wrote before exiting is normally read within milliseconds (the agent
 * holds it buffered); 2 s leaves room for a loaded machine and a slow link to the pod VM.
 */
export const READ_DRAIN_GRACE_MS = 2_000;
const SIGKILL = 9;

export interface RunContainerOptions extends ContainerProcess {
  /** Default: 64 random hex. Also the exec id, as for a container's first process. */
  containerId?: string;
  /** Each stdout chunk as it arrives, in order. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Aborting kills the process (SignalProcess SIGKILL), removes the container and rejects. */
  signal?: AbortSignal;
}

export interface ContainerResult {
  containerId: string;
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * The kata agent API on a sandbox's `agent.ttrpc` socket (what CreateVM returned), on one long-lived
 * connection as the shim keeps it. Failures are {@link CallError}s keeping the agent's message.
 */
export class AgentSession {
  private constructor(
    readonly socketPath: string,
    private readonly ttrpc: TtrpcClient,
    private readonly agent: ServiceClient<typeof AgentService>,
    private readonly health: ServiceClient<typeof HealthService>,
    readonly timeouts: Readonly<AgentTimeouts>,
  ) {}

  /**
   * Dials the socket, retrying while it is missing (ENOENT) or refuses (ECONNREFUSED), for up to
   * `dialMs` (kata: 30 s). Other failures (EACCES, ENOTSOCK, ENOTDIR, …) will not pass by waiting:
   * they are reported at once, with their cause.
   */
  static async connect(
    agentSocketPath: string,
    timeouts: Partial<AgentTimeouts> = {},
  ): Promise<AgentSession> {
    const budget = { ...DEFAULT_AGENT_TIMEOUTS, ...timeouts };
    const until = Date.now() + budget.dialMs;
    for (;;) {
      try {
        const ttrpc = await TtrpcClient.connect(
          { path: agentSocketPath },
          { timeoutMs: Math.max(1, until - Date.now()) },
        );
        return new AgentSession(
          agentSocketPath,
          ttrpc,
          createServiceClient(AgentService, ttrpc),
          createServiceClient(HealthService, ttrpc),
          budget,
        );
      } catch (error) {
        const message = (error as Error).message;
        const code = (error as NodeJS.ErrnoException).code;
        const retryable = code === 'ENOENT' || code === 'ECONNREFUSED';
        if ((retryable || code === undefined) && Date.now() >= until) {
          // Still missing or refusing at the end of `dialMs`, or the dial's own deadline (the rest of it).
          throw new Error(`timed out connecting to remote sock: ${agentSocketPath} (${message})`, {
            cause: error,
          });
        }
        if (!retryable) {
          // Node's message names the errno, e.g. `connect EACCES <path>`.
          throw new Error(`connecting to remote sock: ${agentSocketPath}: ${message}`, { cause: error });
        }
        await sleep(Math.min(50, Math.max(1, until - Date.now())));
      }
    }
  }

  /** grpc.Health/Check, the shim's first agent call; resolves with the serving status (1 = SERVING). */
  async check(): Promise<number> {
    const response = await this.invoke('Check', () =>
      this.health.check(health.CheckRequest.fromPartial({}), budget(this.timeouts.checkMs)),
    );
    return response.status;
  }

  /** CreateSandbox as the shim sends it after StartVM (no DNS, storages or kernel modules). */
  async createSandbox(options: { sandboxId: string; hostname: string }): Promise<void> {
    const request = agent.CreateSandboxRequest.fromPartial({
      hostname: options.hostname,
      sandboxId: options.sandboxId,
    });
    await this.invoke('CreateSandbox', () =>
      this.agent.createSandbox(request, budget(this.timeouts.createSandboxMs)),
    );
  }

  async destroySandbox(): Promise<void> {
    await this.invoke('DestroySandbox', () => this.agent.destroySandbox({}, budget(this.timeouts.defaultMs)));
  }

  /**
   * Runs one command the way the shim runs a container: CreateContainer, StartContainer, then
   * ReadStdout and ReadStderr loops (each until its first error, which is how the agent says EOF) in
   * parallel with WaitProcess, then RemoveContainer. A failing WaitProcess is thrown (after a
   * best-effort RemoveContainer); read errors only end their stream. After WaitProcess answers, the
   * reads get {@link READ_DRAIN_GRACE_MS} to reach their EOF, then they are cut off and what they read
   * is returned (a background child may hold the pipes open forever). An abort seen before
   * StartContainer (e.g. during CreateContainer) starts nothing; the container is removed either way.
   */
  async runContainer(options: RunContainerOptions): Promise<ContainerResult> {
    const containerId = options.containerId ?? randomId();
    const execId = containerId;
    const spec = containerSpec(options);
    options.signal?.throwIfAborted();
    await this.invoke('CreateContainer', () =>
      this.agent.createContainer(
        agent.CreateContainerRequest.fromPartial({ containerId, execId, OCI: spec }),
        budget(this.timeouts.createContainerMs),
      ),
    );
    // From here on the container exists: every way out removes it.
    const stop = new AbortController();
    const onAbort = (): void => {
      this.agent
        .signalProcess({ containerId, execId, signal: SIGKILL }, budget(this.timeouts.defaultMs))
        .catch(() => {});
      // Give the agent a moment to report the exit, then stop waiting.
      setTimeout(() => stop.abort(), 10_000).unref();
    };
    try {
      // An abort that came during CreateContainer: remove the container (finally) without starting it.
      options.signal?.throwIfAborted();
      await this.invoke('StartContainer', () =>
        this.agent.startContainer({ containerId }, budget(this.timeouts.defaultMs)),
      );
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      const readOptions = budget(this.timeouts.readMs, stop.signal);
      const stdout = this.readLoop('stdout', containerId, execId, readOptions, options.onStdout);
      const stderr = this.readLoop('stderr', containerId, execId, readOptions, options.onStderr);
      let exitCode: number;
      try {
        const waited = await this.invoke('WaitProcess', () =>
          this.agent.waitProcess({ containerId, execId }, budget(this.timeouts.waitProcessMs, stop.signal)),
        );
        exitCode = waited.status;
      } catch (error) {
        stop.abort();
        await Promise.all([stdout, stderr]);
        throw error;
      }
      const [out, err] = await drain([stdout, stderr], stop);
      options.signal?.throwIfAborted();
      return { containerId, exitCode, stdout: out, stderr: err };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await this.agent
        .removeContainer({ containerId, timeout: 0 }, budget(this.timeouts.defaultMs))
        .catch(() => {});
    }
  }

  close(): void {
    this.ttrpc.close();
  }

  private async readLoop(
    stream: 'stdout' | 'stderr',
    containerId: string,
    execId: string,
    options: CallOptions,
    onChunk: ((chunk: Buffer) => void) | undefined,
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const read = stream === 'stdout' ? this.agent.readStdout : this.agent.readStderr;
    for (;;) {
      let data: Buffer;
      try {
        ({ data } = await read({ containerId, execId, len: READ_CHUNK_BYTES }, options));
      } catch {
        // The agent answers the end of a stream with an error (EOF); any error ends the stream.
        break;
      }
      if (data.length === 0) continue;
      const chunk = Buffer.from(data);
      chunks.push(chunk);
      onChunk?.(chunk);
    }
    return Buffer.concat(chunks);
  }

  private async invoke<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new CallError('agent call failed: ', method, error);
    }
  }
}

/** Waits for both read loops, for at most READ_DRAIN_GRACE_MS; then aborts them and takes what they got. */
async function drain(
  loops: [Promise<Buffer>, Promise<Buffer>],
  stop: AbortController,
): Promise<[Buffer, Buffer]> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, READ_DRAIN_GRACE_MS);
  });
  try {
    await Promise.race([Promise.all(loops), grace]);
  } finally {
    clearTimeout(timer);
  }
  // A no-op when both loops ended; otherwise their pending reads fail, which ends them.
  stop.abort();
  return Promise.all(loops);
}

function budget(timeoutMs: number, signal?: AbortSignal): CallOptions {
  const options: { timeoutMs?: number; signal?: AbortSignal } = {};
  if (timeoutMs > 0) options.timeoutMs = timeoutMs;
  if (signal) options.signal = signal;
  return options;
}

/** Whether an agent call failed because the method is not served (e.g. an agent without grpc.Health). */
export function isUnimplemented(error: unknown): boolean {
  return (
    (error instanceof CallError && error.code === Code.Unimplemented) ||
    (error instanceof TtrpcError && error.code === Code.Unimplemented)
  );
}
