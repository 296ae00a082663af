import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Code, TtrpcError } from '@peerpods/ttrpc';
import { OutputStream } from './output-stream';
import { type ProcessSpec, spawnCommand } from './process-spec';

export type ProcessState = 'created' | 'running' | 'exited';

/** Exit status the way a shell reports it: the exit code, or 128 + the signal number. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : constants.signals[signal];
  return number === undefined ? 255 : 128 + number;
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * One process of a container: the init process (created by CreateContainer, spawned by
 * StartContainer) or an exec process (spawned by ExecProcess). Its output streams exist from the
 * start, so reads and waits may come before the process is running.
 */
export class ManagedProcess {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  private child: ChildProcess | undefined;
  private status: number | undefined;
  private readonly exitWaiters: Array<{
    resolve: (status: number) => void;
    reject: (error: unknown) => void;
  }> = [];

  constructor(
    readonly execId: string,
    readonly spec: ProcessSpec,
    readonly netns: string | undefined,
    streamCap?: number,
  ) {
    this.stdout = new OutputStream(streamCap);
    this.stderr = new OutputStream(streamCap);
  }

  get state(): ProcessState {
    if (this.status !== undefined) return 'exited';
    return this.child === undefined ? 'created' : 'running';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process in its own process group; resolves once it runs, rejects when it cannot. */
  async start(): Promise<void> {
    if (this.child !== undefined) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} was already started`);
    }
    const command = spawnCommand(this.spec, this.netns);
    const child = spawn(command.file, command.args, {
      argv0: this.netns === undefined ? this.spec.args[0] : undefined,
      env: command.env,
      cwd: command.cwd,
      // Its own process group, so a signal or kill reaches whatever it forks too.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        child.off('error', reject);
        resolve();
      });
      child.once('error', reject);
    }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      throw new TtrpcError(Code.Internal, `starting ${this.spec.args.join(' ')}: ${message}`);
    });
    this.child = child;
    // Writes after the process is gone fail with EPIPE; the WriteStdin call reports it.
    child.stdin!.on('error', () => {});
    child.on('error', () => {});
    this.stdout.attach(child.stdout!);
    this.stderr.attach(child.stderr!);
    child.once('exit', (code, signal) => {
      this.status = exitStatus(code, signal);
      child.stdin!.destroy();
      for (const waiter of this.exitWaiters.splice(0)) waiter.resolve(this.status);
    });
  }

  /** The exit status, once the process has exited (waits for a process not started yet, too). */
  wait(signal?: AbortSignal): Promise<number> {
    if (this.status !== undefined) return Promise.resolve(this.status);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.exitWaiters.indexOf(waiter);
        if (index >= 0) this.exitWaiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter = {
        resolve: (status: number): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(status);
        },
        reject: (error: unknown): void => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.exitWaiters.push(waiter);
    });
  }

  /**
   * Sends `signal` to the process group. A group whose leader has exited may still hold its
   * children, so this is tried even then; "no such process" is not an error.
   */
  signal(signal: number | NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} is not running`);
    }
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if (isErrno(error, 'ESRCH')) return;
      if (isErrno(error, 'EINVAL')) throw new TtrpcError(Code.InvalidArgument, `invalid signal ${signal}`);
      throw error;
    }
  }

  /** SIGKILL to the whole group, then waits for the process itself to exit. */
  async kill(): Promise<void> {
    if (this.child === undefined) return;
    this.signal('SIGKILL');
    await this.wait();
  }

  async writeStdin(data: Uint8Array): Promise<number> {
    const stdin = this.child?.stdin;
    if (stdin === undefined || stdin === null) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} is not running`);
    }
    if (stdin.writableEnded || stdin.destroyed) {
      throw new TtrpcError(Code.FailedPrecondition, `stdin of process ${this.execId} is closed`);
    }
    await new Promise<void>((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(error) : resolve()));
    });
    return data.length;
  }

  closeStdin(): void {
    const stdin = this.child?.stdin;
    if (stdin === undefined || stdin === null) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} is not running`);
    }
    stdin.end();
  }

  /**
   * Lets go of the pipes, so nothing keeps the agent's event loop alive after a kill; waits and reads
   * on a process that never started end too (they would otherwise wait forever).
   */
  release(): void {
    if (this.child === undefined) {
      const gone = new TtrpcError(Code.NotFound, `process ${this.execId} was removed before it started`);
      for (const waiter of this.exitWaiters.splice(0)) waiter.reject(gone);
    }
    this.child?.stdin?.destroy();
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    this.stdout.end();
    this.stderr.end();
  }
}
