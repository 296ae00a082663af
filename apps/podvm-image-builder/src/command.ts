import { spawn } from 'node:child_process';

/** A command the build ran that did not succeed: its argv, how it ended, and the end of its stderr. */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly command: readonly string[],
    readonly outcome: string,
    readonly stderr: string,
  ) {
    super(`\`${command.join(' ')}\` ${outcome}${stderr ? `: ${stderr}` : ''}`);
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called with each line of stdout, for commands whose progress is worth showing (debootstrap). */
  onLine?: (line: string) => void;
}

const STDERR_TAIL = 4000;

/** Runs argv to completion; resolves with its stdout, or rejects with a CommandError. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runCommand: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      signal: options.signal,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let partialLine = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (!options.onLine) return;
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      const outcome =
        error.code === 'ENOENT' ? 'could not run: command not found' : `could not run: ${error.message}`;
      reject(new CommandError(argv, outcome, ''));
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      reject(
        new CommandError(
          argv,
          signal ? `was killed by ${signal}` : `exited with status ${code}`,
          stderr.trim(),
        ),
      );
    });
  });
}
