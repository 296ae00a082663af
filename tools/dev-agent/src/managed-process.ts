import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Code, TtrpcError } from '@peerpods/ttrpc';
import { OutputStream } from './output-stream';
import { type ProcessSpec, spawnCommand } from './process-spec';

export type ProcessState = 'created' | 'starting' | 'running' | 'exited';

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
  /** Set synchronously when a start begins, until it has settled. */
  private starting: Promise<void> | undefined;
  /** Set by kill(): the record is being removed, so no (further) start may run. */
  private removed = false;
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
    if (this.child !== undefined) return 'running';
    return this.starting === undefined ? 'created' : 'starting';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Spawns the process in its own process group; resolves once it runs, rejects when it cannot.
   * `prepare` (e.g. checking that the network namespace exists) runs first. The process counts as
   * starting from the moment this is called, before anything is awaited: a second start fails with
   * FAILED_PRECONDITION, and a {@link kill} meanwhile stops the start (or kills the child as soon as it
   * exists), so no process ever runs untracked.
   */
  async start(prepare?: () => Promise<void>): Promise<void> {
    if (this.removed) throw this.removedWhileStarting();
    if (this.starting !== undefined || this.child !== undefined) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} was already started`);
    }
    const starting = this.spawnChild(prepare);
    // Settles (never rejects) when the start is over, whichever way: what kill() waits for.
    this.starting = starting.then(
      () => {},
      () => {},
    );
    try {
      await starting;
    } finally {
      this.starting = undefined;
    }
  }

  private async spawnChild(prepare: (() => Promise<void>) | undefined): Promise<void> {
    await prepare?.();
    if (this.removed) throw this.removedWhileStarting();
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
    if (this.removed) {
      // Removed while it was being spawned: it must not outlive the container.
      this.signalGroup('SIGKILL');
      await this.wait();
      throw this.removedWhileStarting();
    }
  }

  private removedWhileStarting(): TtrpcError {
    return new TtrpcError(Code.NotFound, `process ${this.execId} was removed while starting`);
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
   * Sends `signal` to the process group while the process (the group leader) has not exited, so its
   * children get it too; "no such process" is not an error. Once the leader has exited and been reaped
   * this does nothing: its pid, and with it the group id, may by then belong to another process (group),
   * perhaps another container's. Children it left running are then out of reach.
   */
  signal(signal: number | NodeJS.Signals): void {
    if (this.child === undefined) {
      throw new TtrpcError(Code.FailedPrecondition, `process ${this.execId} is not running`);
    }
    this.signalGroup(signal);
  }

  private signalGroup(signal: number | NodeJS.Signals): void {
    const child = this.child;
    if (child?.pid === undefined || this.status !== undefined) return;
    // Node emits `exit` in the callback that reaps the child, so `status` is set before other code
    // runs; exitCode/signalCode are the same fact, checked in case that ever changes.
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if (isErrno(error, 'ESRCH')) return;
      if (isErrno(error, 'EINVAL')) throw new TtrpcError(Code.InvalidArgument, `invalid signal ${signal}`);
      throw error;
    }
  }

  /**
   * SIGKILL to the whole group while the process runs, then waits for it to exit. A start in progress
   * is stopped: before the spawn nothing is spawned; after it the child is killed as soon as it exists.
   * Either way no process of this record is left running when this resolves, and no later start runs.
   */
  async kill(): Promise<void> {
    this.removed = true;
    await this.starting;
    if (this.child === undefined || this.status !== undefined) return;
    this.signalGroup('SIGKILL');
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
