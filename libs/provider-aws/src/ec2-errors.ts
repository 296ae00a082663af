/** What the SDK's exceptions carry that we branch on, without depending on its classes. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const named = error as { name?: unknown; Code?: unknown };
    if (typeof named.Code === 'string') return named.Code;
    if (typeof named.name === 'string') return named.name;
  }
  return '';
}

export const isNotFound = (error: unknown): boolean => errorCode(error) === 'InvalidInstanceID.NotFound';

/**
 * Whether EC2 surely did nothing: a 4xx that names a bad request (InvalidAMIID.NotFound,
 * InvalidParameterValue, ...). Anything else (throttling, 5xx, time-out, abort, a connection
 * lost) leaves it open whether the instance was made.
 */
export function isDefinitiveRejection(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const code = errorCode(error);
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    code !== 'RequestLimitExceeded' &&
    code !== 'Throttling'
  );
}

/** One line for logs and StartVM errors: the code and EC2's message (which never holds credentials). */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
