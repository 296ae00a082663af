import { Code, codeName } from './codes';

/** A non-OK ttrpc status: what a server returned, or what a client call failed with locally. */
export class TtrpcError extends Error {
  override readonly name = 'TtrpcError';
  readonly code: number;
  /** The status message alone, without the `rpc error: …` framing. */
  readonly description: string;
  /** google.protobuf.Any entries of the status, undecoded (field 3 of google.rpc.Status). */
  readonly details: readonly Uint8Array[];

  constructor(code: number, description: string, details: readonly Uint8Array[] = []) {
    // Same text as a Go client's error, which kata embeds in its own messages.
    super(`rpc error: code = ${codeName(code)} desc = ${description}`);
    this.code = code;
    this.description = description;
    this.details = details;
  }
}

/** Every call on a client whose connection is gone fails with this, as Go's `ttrpc: closed`. */
export function closedError(reason?: string): TtrpcError {
  return new TtrpcError(Code.Unavailable, reason ? `ttrpc: closed: ${reason}` : 'ttrpc: closed');
}

const errnoCodes: Record<string, number> = {
  ENOENT: Code.NotFound,
  EEXIST: Code.AlreadyExists,
  EACCES: Code.PermissionDenied,
  EPERM: Code.PermissionDenied,
  EINVAL: Code.InvalidArgument,
  ETIMEDOUT: Code.DeadlineExceeded,
};

/**
 * The status a handler failure becomes: a TtrpcError keeps its code; a Node system error maps
 * the way Go maps os errors (not exist → NotFound, …); an aborted operation is Canceled;
 * anything else is Unknown with the error's text, as Go does.
 */
export function toStatus(error: unknown): { code: number; message: string; details: readonly Uint8Array[] } {
  if (error instanceof TtrpcError)
    return { code: error.code, message: error.description, details: error.details };
  if (error instanceof Error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const mapped = errno === undefined ? undefined : errnoCodes[errno];
    if (mapped !== undefined) return { code: mapped, message: error.message, details: [] };
    if (error.name === 'AbortError') return { code: Code.Canceled, message: 'context canceled', details: [] };
    return { code: Code.Unknown, message: error.message, details: [] };
  }
  return { code: Code.Unknown, message: String(error), details: [] };
}
