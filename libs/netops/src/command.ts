import { execFile } from 'node:child_process';
import { type CommandFailure, NetopsCommandError } from './errors';

/** Long enough for a big batch on a busy machine; short enough that a hung tool surfaces. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface CommandOptions {
  /** Written to the command's stdin, which is then closed (it is closed at once without input). */
  readonly input?: string;
  /** Kill the command (SIGKILL) after this long; default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /**
   * Called with the child's pid once it is spawned (to watch it through /proc while it runs). When it
   * returns a promise, stdin is written only once that settles, so a tool reading its commands from
   * stdin (`ip -batch -`) acts only when the watcher is ready.
   */
  readonly onSpawn?: (pid: number) => Promise<unknown> | undefined;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one program with an argument array (never through a shell) and resolves with its output, or
 * rejects with a {@link NetopsCommandError}. Every operation in this package goes through one, so a
 * test or a dry run can pass its own.
 */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options?: CommandOptions,
) => Promise<CommandResult>;

// ip -json of a node with thousands of routes runs to megabytes; execFile's 1 MiB default would cut it.
const MAX_BUFFER = 256 * 1024 * 1024;

export const runCommand: CommandRunner = (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { encoding: 'utf8', maxBuffer: MAX_BUFFER, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const failure = classify(error, timeoutMs);
        reject(new NetopsCommandError({ file, args: [...args], failure, stdout, stderr }));
      },
    );
    // A tool that exits early (a parse error in a batch) closes its stdin while we still write: EPIPE.
    // Its exit status and stderr say what went wrong, so the write error itself is not interesting.
    child.stdin?.on('error', () => {});
    const ready = child.pid !== undefined ? options.onSpawn?.(child.pid) : undefined;
    if (ready === undefined) child.stdin?.end(options.input ?? '');
    else void Promise.resolve(ready).finally(() => child.stdin?.end(options.input ?? ''));
  });
};

interface ExecError extends Error {
  code?: number | string | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
}

function classify(error: ExecError, timeoutMs: number): CommandFailure {
  if (typeof error.code === 'number') return { kind: 'exit', code: error.code };
  if (typeof error.code === 'string') return { kind: 'spawn', code: error.code };
  // execFile sets killed when its own timeout fired; a signal from elsewhere leaves it false.
  if (error.killed === true) return { kind: 'timeout', timeoutMs };
  return { kind: 'signal', signal: error.signal ?? 'unknown signal' };
}
