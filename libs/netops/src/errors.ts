/** How a failed command ended: its exit status, a signal, our timeout, or it could not be started. */
export type CommandFailure =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'spawn'; readonly code: string };

/** The line of a `-batch -` input that iproute2 reported as failed (1-based, as `Command failed -:N`). */
export interface FailedBatchLine {
  readonly number: number;
  readonly text: string;
}

export interface CommandErrorDetails {
  readonly file: string;
  readonly args: readonly string[];
  readonly failure: CommandFailure;
  readonly stdout: string;
  readonly stderr: string;
  readonly failedLine?: FailedBatchLine;
}

// Tools that are missing from a Debian machine, mapped to the package that brings them back.
const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  tc: 'iproute2',
  nsenter: 'util-linux',
  iptables: 'iptables',
  'iptables-nft': 'iptables',
  'iptables-legacy': 'iptables',
};

/**
 * A command (ip, tc, iptables, nsenter) failed. The message carries the whole command line, how it
 * ended, its stderr and, for a batch, the line that failed, e.g.
 * `ip -n pp-x -batch -: exit 1: Cannot find device "vxlan9" (line 3: link set dev vxlan9 up)`.
 */
export class NetopsCommandError extends Error {
  override readonly name = 'NetopsCommandError';
  readonly file: string;
  readonly args: readonly string[];
  /** The command as one shell-quoted line, for logs. */
  readonly commandLine: string;
  readonly failure: CommandFailure;
  /** The exit status, or null when the command was killed or never started. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly failedLine: FailedBatchLine | undefined;

  constructor(details: CommandErrorDetails) {
    const commandLine = formatCommandLine(details.file, details.args);
    super(describe(commandLine, details));
    this.file = details.file;
    this.args = details.args;
    this.commandLine = commandLine;
    this.failure = details.failure;
    this.exitCode = details.failure.kind === 'exit' ? details.failure.code : null;
    this.stdout = details.stdout;
    this.stderr = details.stderr;
    this.failedLine = details.failedLine;
  }

  /** The same failure, naming the batch line that caused it. */
  withFailedLine(failedLine: FailedBatchLine): NetopsCommandError {
    const { file, args, failure, stdout, stderr } = this;
    return new NetopsCommandError({ file, args, failure, stdout, stderr, failedLine });
  }
}

/** A network namespace path that names no namespace. */
export class NetnsNotFoundError extends Error {
  override readonly name = 'NetnsNotFoundError';
  readonly path: string;

  constructor(path: string, detail?: string) {
    super(`network namespace ${path} does not exist${detail === undefined ? '' : ` (${detail})`}`);
    this.path = path;
  }
}

/** No iptables binary on the search path. */
export class IptablesNotFoundError extends Error {
  override readonly name = 'IptablesNotFoundError';
  readonly searched: readonly string[];

  constructor(candidates: readonly string[], searched: readonly string[]) {
    super(
      `iptables not found: apt-get install -y iptables (looked for ${candidates.join(', ')} in ${searched.join(':') || '(empty PATH)'})`,
    );
    this.searched = searched;
  }
}

/** Quotes only what a shell would need quoted, so the usual command stays readable. */
export function formatCommandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteArg).join(' ');
}

function quoteArg(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function describe(commandLine: string, details: CommandErrorDetails): string {
  const parts = [commandLine, reason(details)];
  const stderr = details.stderr
    .split('\n')
    .map((line) => line.trim())
    // iproute2's own line report is replaced by the line's text below.
    .filter((line) => line !== '' && !/^Command failed .*:\d+$/.test(line))
    .join('; ');
  if (stderr !== '') parts.push(stderr);
  let message = parts.join(': ');
  if (details.failedLine !== undefined) {
    message += ` (line ${details.failedLine.number}: ${details.failedLine.text})`;
  }
  return message;
}

function reason({ file, failure }: CommandErrorDetails): string {
  switch (failure.kind) {
    case 'exit':
      return `exit ${failure.code}`;
    case 'signal':
      return `killed by ${failure.signal}`;
    case 'timeout':
      return `timed out after ${failure.timeoutMs} ms`;
    case 'spawn': {
      const name = file.split('/').pop() ?? file;
      const pkg = PACKAGE_OF[name];
      if (failure.code === 'ENOENT') {
        return pkg === undefined ? `${name} not found` : `${name} not found: apt-get install -y ${pkg}`;
      }
      return `failed to run (${failure.code})`;
    }
  }
}
