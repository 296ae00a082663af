/**
 * One request to a metadata service with node's fetch: the caller's AbortSignal bounds it (the
 * overall fetch deadline, sometimes a shorter per-request one), the body is read with a size cap,
 * and only 200 counts as success, as upstream's imdsGet.
 */
import { readBodyUpTo } from './bounded-read';
import { errorMessage, PermanentUserDataError, UserDataError } from './errors';

export interface MetadataRequest {
  method?: 'GET' | 'PUT';
  headers?: Readonly<Record<string, string>>;
  body?: string;
  signal: AbortSignal;
  /** Larger responses are refused with a PermanentUserDataError. */
  maxBytes: number;
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${code} ${cause.message}`
      : cause.message;
  }
  return errorMessage(error);
}

export async function metadataRequest(url: string, request: MetadataRequest): Promise<Buffer> {
  const method = request.method ?? 'GET';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
  } catch (error) {
    if (request.signal.aborted) throw new UserDataError(`${method} ${url}: no response in time`);
    throw new UserDataError(`failed to send request ${method} ${url}: ${causeText(error)}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new UserDataError(
      `endpoint ${url} returned != 200 status code: ${response.status} ${response.statusText}`.trimEnd(),
    );
  }
  const tooLarge = () =>
    new PermanentUserDataError(`response of ${url} is larger than the ${request.maxBytes}-byte limit`);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > request.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  let body: Buffer | undefined;
  try {
    body = await readBodyUpTo(response.body, request.maxBytes);
  } catch (error) {
    if (request.signal.aborted) throw new UserDataError(`${method} ${url}: body not received in time`);
    throw new UserDataError(`failed to read response body of ${url}: ${causeText(error)}`);
  }
  if (body === undefined) throw tooLarge();
  return body;
}
