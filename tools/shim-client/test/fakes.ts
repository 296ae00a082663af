// In-process stand-ins for cloud-api-adaptor's hypervisor service and for the kata agent API on the
// sandbox's agent.ttrpc socket, built on @peerpods/ttrpc. Every request is recorded, in order, in one
// shared log, so a test can assert the whole sequence the client sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentService, HealthService, HypervisorService } from '@peerpods/protocols';
import type { DeletePodNetworkOptions, PodNetworkHandle, PodNetworkOps } from '@peerpods/shim-client';
import { Code, serviceMethods, TtrpcError, TtrpcServer } from '@peerpods/ttrpc';

export interface Recorded {
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: decoded requests of many message types, asserted field by field
  request: any;
}

/** How the fake agent answers; each field can be changed between tests. */
export interface AgentScript {
  stdout: string[];
  stderr: string[];
  exitCode: number;
  /** When set, CreateContainer fails with this message. */
  createContainerError?: string;
  /** When set, WaitProcess fails with this message. */
  waitError?: string;
  /** The process runs until SignalProcess (then exits 137). */
  hang?: boolean;
  /**
   * After its scripted chunks, stdout neither ends nor gives more (as when a background child keeps the
   * pipe open) until the container is removed, while WaitProcess answers as usual.
   */
  stdoutNeverEnds?: boolean;
  /** Called with each CreateContainer request before it is answered. */
  onCreateContainer?: (request: { containerId: string }) => void;
}

export class FakeCloud {
  readonly log: Recorded[] = [];
  /** Removed by stop(). */
  readonly dir = mkdtempSync(join(tmpdir(), 'shim-client-fake-'));
  readonly socketPath = join(this.dir, 'hypervisor.sock');
  script: AgentScript = { stdout: ['hello ', 'world\n'], stderr: ['warn\n'], exitCode: 0 };
  /** When set, StartVM fails with this message. */
  startVMError?: string;
  /** Called with each CreateVM request before it is answered. */
  onCreateVM?: (request: { id: string; networkNamespacePath: string }) => void;
  /**
   * When set, CreateVM makes the sandbox but does not answer until StopVM for it (or stop()), as a
   * daemon still creating it would.
   */
  createVMHangs?: boolean;
  private readonly hungCreateVMs = new Map<string, () => void>();
  private readonly hypervisor = new TtrpcServer();
  private readonly agents = new Map<string, TtrpcServer>();
  private readonly sandboxes = new Set<string>();

  async start(): Promise<this> {
    this.hypervisor.register(
      HypervisorService.fullName,
      serviceMethods(HypervisorService, {
        createVM: async (request) => {
          this.record('CreateVM', request);
          this.onCreateVM?.(request);
          if (this.sandboxes.has(request.id))
            throw new Error(`adding sandbox: sandbox ${request.id} already exists`);
          this.sandboxes.add(request.id);
          if (this.createVMHangs) {
            await new Promise<void>((resolve) => this.hungCreateVMs.set(request.id, resolve));
          }
          return { agentSocketPath: this.agentSocketPath(request.id) };
        },
        startVM: async (request) => {
          this.record('StartVM', request);
          if (!this.sandboxes.has(request.id))
            throw new Error(`getting sandbox: sandbox ${request.id} does not exist`);
          if (this.startVMError) throw new Error(this.startVMError);
          await this.startAgent(request.id);
          return {};
        },
        stopVM: async (request) => {
          this.record('StopVM', request);
          this.hungCreateVMs.get(request.id)?.();
          this.hungCreateVMs.delete(request.id);
          if (!this.sandboxes.delete(request.id)) {
            throw new Error(`stopping VM: sandbox ${request.id} does not exist`);
          }
          await this.agents.get(request.id)?.close();
          this.agents.delete(request.id);
          return {};
        },
        version: (request) => {
          this.record('Version', request);
          return { version: '0.0.0' };
        },
      }),
    );
    await this.hypervisor.listen({ path: this.socketPath });
    return this;
  }

  agentSocketPath(id: string): string {
    // Shorter than the daemon's <pods-dir>/<id>/: a unix socket path must fit in 108 bytes.
    return join(this.dir, id.slice(0, 12), 'agent.ttrpc');
  }

  /** The methods in the order they arrived. */
  methods(): string[] {
    return this.log.map((entry) => entry.method);
  }

  /** The methods without the read loops, whose interleaving with WaitProcess is up to timing. */
  calls(): string[] {
    return this.methods().filter((method) => method !== 'ReadStdout' && method !== 'ReadStderr');
  }

  find(method: string): Recorded {
    const found = this.log.find((entry) => entry.method === method);
    if (!found) throw new Error(`no ${method} was received (got ${this.methods().join(', ')})`);
    return found;
  }

  /** Connections still open to the daemon and the agents (a client that forgot to close shows here). */
  get openConnections(): number {
    let count = this.hypervisor.connectionCount;
    for (const agent of this.agents.values()) count += agent.connectionCount;
    return count;
  }

  get liveSandboxes(): number {
    return this.sandboxes.size;
  }

  async stop(): Promise<void> {
    for (const release of this.hungCreateVMs.values()) release();
    for (const agent of this.agents.values()) await agent.close();
    await this.hypervisor.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private record(method: string, request: unknown): void {
    this.log.push({ method, request });
  }

  private async startAgent(id: string): Promise<void> {
    const containers = new Map<
      string,
      {
        stdout: string[];
        stderr: string[];
        exit: Promise<number>;
        kill: (code: number) => void;
        removed: Promise<void>;
        remove: () => void;
      }
    >();
    const container = (containerId: string) => {
      const found = containers.get(containerId);
      if (!found) throw new TtrpcError(Code.NotFound, `container ${containerId} not found`);
      return found;
    };
    const read = (which: 'stdout' | 'stderr') => async (request: { containerId: string }) => {
      const entry = container(request.containerId);
      // A turn of the event loop per chunk, so chunks arrive as separate answers.
      await new Promise((resolve) => setImmediate(resolve));
      const next = entry[which].shift();
      if (next === undefined) {
        if (this.script.hang) await entry.exit;
        if (which === 'stdout' && this.script.stdoutNeverEnds) await entry.removed;
        throw new TtrpcError(Code.Internal, 'EOF');
      }
      return { data: Buffer.from(next) };
    };
    const agent = new TtrpcServer();
    agent.register(
      AgentService.fullName,
      serviceMethods(AgentService, {
        createSandbox: (request) => {
          this.record('CreateSandbox', request);
          return {};
        },
        destroySandbox: (request) => {
          this.record('DestroySandbox', request);
          return {};
        },
        createContainer: (request) => {
          this.record('CreateContainer', request);
          this.script.onCreateContainer?.(request);
          if (this.script.createContainerError) throw new Error(this.script.createContainerError);
          let kill!: (code: number) => void;
          const exit = new Promise<number>((resolve) => {
            kill = resolve;
          });
          if (!this.script.hang) kill(this.script.exitCode);
          let remove!: () => void;
          const removed = new Promise<void>((resolve) => {
            remove = resolve;
          });
          containers.set(request.containerId, {
            stdout: [...this.script.stdout],
            stderr: [...this.script.stderr],
            exit,
            kill,
            removed,
            remove,
          });
          return {};
        },
        startContainer: (request) => {
          this.record('StartContainer', request);
          container(request.containerId);
          return {};
        },
        readStdout: async (request) => {
          this.record('ReadStdout', request);
          return read('stdout')(request);
        },
        readStderr: async (request) => {
          this.record('ReadStderr', request);
          return read('stderr')(request);
        },
        signalProcess: (request) => {
          this.record('SignalProcess', request);
          container(request.containerId).kill(128 + request.signal);
          return {};
        },
        waitProcess: async (request) => {
          this.record('WaitProcess', request);
          if (this.script.waitError) throw new Error(this.script.waitError);
          return { status: await container(request.containerId).exit };
        },
        removeContainer: (request) => {
          this.record('RemoveContainer', request);
          containers.get(request.containerId)?.remove();
          containers.delete(request.containerId);
          return {};
        },
      }),
    );
    agent.register(
      HealthService.fullName,
      serviceMethods(HealthService, {
        check: (request) => {
          this.record('Check', request);
          return { status: 1 };
        },
      }),
    );
    await agent.listen({ path: this.agentSocketPath(id) });
    this.agents.set(id, agent);
  }
}

/** A pod network that only records (no root needed); paths look like the real ones. */
export class FakeNetwork implements PodNetworkOps {
  readonly created: PodNetworkHandle[] = [];
  readonly deleted: string[] = [];
  private next = 2;

  async create(options: { name: string; bridge?: string }): Promise<PodNetworkHandle> {
    const octet = this.next++;
    const handle: PodNetworkHandle = {
      name: options.name,
      path: `/run/netns/${options.name}`,
      ip: `10.244.0.${octet}`,
      prefixLength: 24,
      mac: `0a:58:0a:f4:00:${octet.toString(16).padStart(2, '0')}`,
      gateway: '10.244.0.1',
      mtu: 1500,
      hostVeth: 'vethfake',
      bridge: options.bridge ?? 'cni0',
      ipamDir: '/nonexistent',
    };
    this.created.push(handle);
    return handle;
  }

  async delete(target: PodNetworkHandle | DeletePodNetworkOptions): Promise<void> {
    this.deleted.push(target.name);
  }

  /** Names created and not deleted. */
  get live(): string[] {
    return this.created.map((handle) => handle.name).filter((name) => !this.deleted.includes(name));
  }
}
