import { TtrpcError } from '@peerpods/ttrpc';

/** The daemon's socket is missing or refuses connections. */
export class DaemonNotRunningError extends Error {
  override readonly name = 'DaemonNotRunningError';
  constructor(
    readonly socketPath: string,
    readonly reason: string,
  ) {
    super(`cloud-api-adaptor is not running at ${socketPath} (${reason}); start it, or pass --socket <path>`);
  }
}

/**
 * A failed call, keeping the daemon's status: `message` reads as kata's does
 * (`remote hypervisor call failed: CreateVM: rpc error: code = Unknown desc = <daemon's text>`),
 * `code` and `description` are the ttrpc status code and the daemon's own text.
 */
export class CallError extends Error {
  override readonly name = 'CallError';
  readonly code: number | undefined;
  readonly description: string;

  constructor(
    readonly prefix: string,
    readonly method: string,
    override readonly cause: unknown,
  ) {
    const text = cause instanceof Error ? cause.message : String(cause);
    super(`${prefix}${method}: ${text}`);
    this.code = cause instanceof TtrpcError ? cause.code : undefined;
    this.description = cause instanceof TtrpcError ? cause.description : text;
  }
}

/** Whether a dial failure means "nobody is listening there". */
export function isNotListening(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK';
}
