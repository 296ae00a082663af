import type { IncomingMessage } from 'node:http';

// The API server's own request limit is 3 MiB of object; a review wraps it, so allow some more.
export const MAX_REVIEW_BYTES = 7 * 1024 * 1024;

/** Why a request is not a review; answered as a review with code 400, as controller-runtime does. */
export class ReviewRequestError extends Error {}

/** The request's JSON body, checked the way controller-runtime checks it. */
export async function readReviewBody(request: IncomingMessage): Promise<unknown> {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.split(';')[0]!.trim() !== 'application/json') {
    throw new ReviewRequestError(`contentType=${contentType}, expected application/json`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REVIEW_BYTES)
      throw new ReviewRequestError(`request body is larger than ${MAX_REVIEW_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) throw new ReviewRequestError('request body is empty');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ReviewRequestError(`unable to decode the request: ${(error as Error).message}`);
  }
}
