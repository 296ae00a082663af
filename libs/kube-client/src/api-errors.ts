import { KubeApiError } from './kube-api';

/**
 * A client-node failure as a KubeApiError: the API's own Status message and reason when it sent
 * one (`ApiException`: code and body), else the transport's error, code 0.
 */
export function kubeApiError(error: unknown, what: string): KubeApiError {
  if (error instanceof KubeApiError) return error;
  const failure = error as { code?: unknown; statusCode?: unknown; body?: unknown; message?: string };
  // A watch that is refused reports only `statusCode` and the status text.
  if (typeof failure.statusCode === 'number' && failure.code === undefined) {
    return new KubeApiError(
      failure.statusCode,
      failure.message ?? `HTTP ${failure.statusCode}`,
      `${what}: ${failure.message ?? 'request failed'} (${failure.statusCode})`,
      { cause: error },
    );
  }
  if (typeof failure.code === 'number' && failure.code >= 100) {
    let status: { message?: string; reason?: string } = {};
    try {
      status = typeof failure.body === 'string' ? JSON.parse(failure.body) : ((failure.body as object) ?? {});
    } catch {
      // Not a Status object (a proxy's HTML page, say): the code alone says enough.
    }
    const reason = status.reason ?? `HTTP ${failure.code}`;
    return new KubeApiError(
      failure.code,
      reason,
      `${what}: ${status.message ?? 'request failed'} (${failure.code} ${reason})`,
      { cause: error },
    );
  }
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return new KubeApiError(
    0,
    'Unreachable',
    `${what}: ${failure.message ?? String(error)}${cause ? ` (${cause})` : ''}`,
    { cause: error },
  );
}

/** Rejects with a KubeApiError when the call takes longer than `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new KubeApiError(0, 'Timeout', `${what}: no answer from the API server in ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } catch (error) {
    throw kubeApiError(error, what);
  } finally {
    clearTimeout(timer);
  }
}
