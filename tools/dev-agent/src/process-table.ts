import { Code, TtrpcError } from '@peerpods/ttrpc';
import { ManagedProcess } from './managed-process';
import type { ProcessSpec } from './process-spec';

/** One container: its init process (exec id = container id) and the exec processes started in it. */
export interface Container {
  readonly id: string;
  /** The network namespace file its processes join, from the OCI spec; undefined: the agent's own. */
  readonly netns: string | undefined;
  readonly init: ManagedProcess;
  readonly execs: Map<string, ManagedProcess>;
}

export interface ProcessTableOptions {
  /** Per output stream, bytes buffered before the pipe is paused. */
  streamCap?: number;
}

/**
 * The containers and processes the agent knows about. Containers stay until RemoveContainer or
 * DestroySandbox; exec processes stay with their container (an exited one may be replaced by a new
 * exec with the same id).
 */
export class ProcessTable {
  private readonly containers = new Map<string, Container>();

  constructor(private readonly options: ProcessTableOptions = {}) {}

  create(id: string, spec: ProcessSpec, netns: string | undefined): Container {
    if (id === '') throw new TtrpcError(Code.InvalidArgument, 'container id is empty');
    if (this.containers.has(id)) throw new TtrpcError(Code.AlreadyExists, `container ${id} already exists`);
    const container: Container = {
      id,
      netns,
      init: new ManagedProcess(id, spec, netns, this.options.streamCap),
      execs: new Map(),
    };
    this.containers.set(id, container);
    return container;
  }

  get(id: string): Container {
    const container = this.containers.get(id);
    if (container === undefined) throw new TtrpcError(Code.NotFound, `container ${id} not found`);
    return container;
  }

  /** The most recently created container that is still known. */
  latest(): Container | undefined {
    let last: Container | undefined;
    for (const container of this.containers.values()) last = container;
    return last;
  }

  /** The init process answers to an empty exec id and to the container id, as the kata shim uses both. */
  process(containerId: string, execId: string): ManagedProcess {
    const container = this.get(containerId);
    if (execId === '' || execId === containerId) return container.init;
    const exec = container.execs.get(execId);
    if (exec === undefined) {
      throw new TtrpcError(Code.NotFound, `process ${execId} not found in container ${containerId}`);
    }
    return exec;
  }

  addExec(containerId: string, execId: string, spec: ProcessSpec): ManagedProcess {
    const container = this.get(containerId);
    if (execId === '' || execId === containerId) {
      throw new TtrpcError(Code.InvalidArgument, `exec id "${execId}" is reserved for the init process`);
    }
    const existing = container.execs.get(execId);
    if (existing !== undefined && existing.state !== 'exited') {
      throw new TtrpcError(
        Code.AlreadyExists,
        `process ${execId} already exists in container ${containerId}`,
      );
    }
    const exec = new ManagedProcess(execId, spec, container.netns, this.options.streamCap);
    container.execs.set(execId, exec);
    return exec;
  }

  /** Forgets an exec that could not be started, so the id can be used again. */
  dropExec(containerId: string, execId: string): void {
    this.containers.get(containerId)?.execs.delete(execId);
  }

  /** Kills the container's processes (whole process groups), waits for them, forgets it. */
  async remove(id: string): Promise<void> {
    const container = this.get(id);
    await killAll(container);
    this.containers.delete(id);
  }

  /** Kills every process of every container and forgets them all. */
  async clear(): Promise<void> {
    const all = [...this.containers.values()];
    this.containers.clear();
    await Promise.all(all.map(killAll));
  }

  get size(): number {
    return this.containers.size;
  }
}

async function killAll(container: Container): Promise<void> {
  const processes = [container.init, ...container.execs.values()];
  await Promise.all(processes.map((process) => process.kill()));
  for (const process of processes) process.release();
}
