import { HypervisorService, hypervisor } from '@peerpods/protocols';
import { type CallOptions, createServiceClient, type ServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { CallError, DaemonNotRunningError, isNotListening } from './errors';

/** Where kata's remote hypervisor talks to cloud-api-adaptor (`remote_hypervisor_socket`). */
export const DEFAULT_HYPERVISOR_SOCKET = '/run/peerpod/hypervisor.sock';

/**
 * Per-call budgets in ms; 0 = no deadline (timeout_nano absent, as kata sends it).
 * Defaults follow the Go shim (`remote.go`): CreateVM and StopVM carry no deadline; StartVM gets
 * max(10 s, remote_hypervisor_timeout = 600 s). Version, which kata never calls, gets 60 s, and the
 * connect (not bounded by kata) 10 s.
 */
export interface HypervisorTimeouts {
  connectMs: number;
  createVMMs: number;
  startVMMs: number;
  stopVMMs: number;
  versionMs: number;
}

export const DEFAULT_HYPERVISOR_TIMEOUTS: Readonly<HypervisorTimeouts> = {
  connectMs: 10_000,
  createVMMs: 0,
  startVMMs: 600_000,
  stopVMMs: 0,
  versionMs: 60_000,
};

export interface CreateVMOptions {
  /** Sandbox id (kata: 64 hex). */
  id: string;
  /** The pod netns path, e.g. `/run/netns/cni-0123456789ab`. */
  networkNamespacePath: string;
  annotations?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * A client of `hypervisor.Hypervisor` on cloud-api-adaptor's socket, making the calls kata's remote
 * hypervisor makes. One connection for all calls (as runtime-rs does; the Go shim dials per call, which
 * the daemon cannot tell apart). Failures are {@link CallError}s that keep the daemon's message.
 */
export class HypervisorClient {
  private constructor(
    readonly socketPath: string,
    private readonly ttrpc: TtrpcClient,
    private readonly service: ServiceClient<typeof HypervisorService>,
    readonly timeouts: Readonly<HypervisorTimeouts>,
  ) {}

  static async connect(
    socketPath: string = DEFAULT_HYPERVISOR_SOCKET,
    timeouts: Partial<HypervisorTimeouts> = {},
  ): Promise<HypervisorClient> {
    const budget = { ...DEFAULT_HYPERVISOR_TIMEOUTS, ...timeouts };
    let ttrpc: TtrpcClient;
    try {
      ttrpc = await TtrpcClient.connect(
        { path: socketPath },
        budget.connectMs > 0 ? { timeoutMs: budget.connectMs } : {},
      );
    } catch (error) {
      if (isNotListening(error)) {
        throw new DaemonNotRunningError(socketPath, (error as NodeJS.ErrnoException).code ?? 'no listener');
      }
      throw new Error(`connecting to cloud-api-adaptor at ${socketPath}: ${(error as Error).message}`);
    }
    return new HypervisorClient(socketPath, ttrpc, createServiceClient(HypervisorService, ttrpc), budget);
  }

  /** CreateVM; resolves with the agent socket path the daemon will serve the pod's agent API on. */
  async createVM(options: CreateVMOptions): Promise<string> {
    const request = hypervisor.CreateVMRequest.fromPartial({
      id: options.id,
      annotations: options.annotations ?? {},
      networkNamespacePath: options.networkNamespacePath,
    });
    const response = await this.invoke('CreateVM', () =>
      this.service.createVM(request, callOptions(this.timeouts.createVMMs, options.signal)),
    );
    if (response.agentSocketPath === '') {
      throw new CallError(
        PREFIX,
        'CreateVM',
        new Error('remote hypervisor does not return tunnel socket path'),
      );
    }
    return response.agentSocketPath;
  }

  /** StartVM: the daemon creates the VM and answers once its agent proxy is connected. */
  async startVM(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.invoke('StartVM', () =>
      this.service.startVM({ id }, callOptions(this.timeouts.startVMMs, options.signal)),
    );
  }

  async stopVM(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.invoke('StopVM', () =>
      this.service.stopVM({ id }, callOptions(this.timeouts.stopVMMs, options.signal)),
    );
  }

  /** The daemon's Version answer (upstream: always `0.0.0`). */
  async version(): Promise<string> {
    const response = await this.invoke('Version', () =>
      this.service.version({ version: '' }, callOptions(this.timeouts.versionMs)),
    );
    return response.version;
  }

  close(): void {
    this.ttrpc.close();
  }

  private async invoke<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new CallError(PREFIX, method, error);
    }
  }
}

const PREFIX = 'remote hypervisor call failed: ';

function callOptions(timeoutMs: number, signal?: AbortSignal): CallOptions {
  const options: { timeoutMs?: number; signal?: AbortSignal } = {};
  if (timeoutMs > 0) options.timeoutMs = timeoutMs;
  if (signal) options.signal = signal;
  return options;
}
