import { spawn } from 'node:child_process';
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

// ip -json of a node with thousands of routes runs to megabytes; past this a command is refused.
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * Signals a group-wide Ctrl-C (or a relayed one) is made of. A child started in a session of its
 * own can still get one in the moment between fork and setsid, before it has exec'd: measured 20 of
 * 300 spawns under a relay every 15 ms. Such a child never ran its command, so it is run again.
 */
const GROUP_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);
const GROUP_SIGNAL_RETRIES = 3;

export const runCommand: CommandRunner = async (file, args, options = {}) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runOnce(file, args, options);
    } catch (error) {
      const failure = error instanceof NetopsCommandError ? error.failure : undefined;
      const beforeExec = failure?.kind === 'signal' && GROUP_SIGNALS.has(failure.signal);
      if (!beforeExec || attempt >= GROUP_SIGNAL_RETRIES) throw error;
    }
  }
};

const runOnce: CommandRunner = (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // spawn, not execFile, which ignores `detached`. A process group of its own: a Ctrl-C that a
    // terminal or a wrapper sends to our whole group is for the daemon, which then tears down in
    // order; it must not kill the ip/tc/iptables commands of that very teardown halfway (a leaked
    // bridge, rules left behind).
    const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let overflow = false;
    let timedOut = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        overflow = true;
        child.kill('SIGKILL');
      } else into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      const failure = classify({ code, signal, timedOut, overflow, spawnError }, timeoutMs);
      if (failure === undefined) resolve({ stdout: out, stderr: err });
      else reject(new NetopsCommandError({ file, args: [...args], failure, stdout: out, stderr: err }));
    });
    // A tool that exits early (a parse error in a batch) closes its stdin while we still write: EPIPE.
    // Its exit status and stderr say what went wrong, so the write error itself is not interesting.
    child.stdin.on('error', () => {});
    const ready = child.pid !== undefined ? options.onSpawn?.(child.pid) : undefined;
    if (ready === undefined) child.stdin.end(options.input ?? '');
    else void Promise.resolve(ready).finally(() => child.stdin.end(options.input ?? ''));
  });
};

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  overflow: boolean;
  spawnError: NodeJS.ErrnoException | undefined;
}

/** How the command ended, or undefined for success. */
function classify(ending: Ending, timeoutMs: number): CommandFailure | undefined {
  if (ending.spawnError !== undefined) return { kind: 'spawn', code: ending.spawnError.code ?? 'ERROR' };
  if (ending.timedOut) return { kind: 'timeout', timeoutMs };
  if (ending.overflow) return { kind: 'spawn', code: `output over ${MAX_OUTPUT_BYTES} bytes` };
  if (ending.code === 0) return undefined;
  if (ending.code !== null) return { kind: 'exit', code: ending.code };
  return { kind: 'signal', signal: ending.signal ?? 'unknown signal' };
}
