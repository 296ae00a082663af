import type { Logger } from '@peerpods/log';
import { AWS_TOKEN_PATH, AWS_USER_DATA_PATH, endpointUrl } from '../endpoints';
import { errorMessage } from '../errors';
import { metadataRequest } from '../http-get';
import { tooLargeAsUserData, type UserDataSource } from '../source';

export const AWS_TOKEN_TTL_SECONDS = 60;
export const AWS_TOKEN_TIMEOUT_MS = 5000;

/**
 * EC2 IMDS. IMDSv2 first: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`, then
 * `GET /latest/user-data` with `X-aws-ec2-metadata-token`. When the token call fails (IMDSv1-only
 * endpoints, or the PUT's response dropped by the hop limit so it times out after 5 s) the GET goes
 * out without a token, as IMDSv1. A fresh token per attempt: attempts can span more than its TTL.
 * The body is the raw user-data.
 */
export function awsSource(
  base: string,
  maxBytes: number,
  log: Logger,
  tokenTimeoutMs = AWS_TOKEN_TIMEOUT_MS,
): UserDataSource {
  const tokenUrl = endpointUrl(base, AWS_TOKEN_PATH);
  const url = endpointUrl(base, AWS_USER_DATA_PATH);

  async function token(signal: AbortSignal): Promise<string | undefined> {
    try {
      const body = await metadataRequest(tokenUrl, {
        method: 'PUT',
        headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(AWS_TOKEN_TTL_SECONDS) },
        signal: AbortSignal.any([signal, AbortSignal.timeout(tokenTimeoutMs)]),
        maxBytes: 64 * 1024,
      });
      const value = body.toString('utf8').trim();
      if (value === '') throw new Error(`${tokenUrl} returned an empty token`);
      return value;
    } catch (error) {
      if (signal.aborted) throw error;
      log.info(`IMDSv2 token request failed, falling back to IMDSv1: ${errorMessage(error)}`);
      return undefined;
    }
  }

  return {
    name: 'AWS',
    location: url,
    kind: 'url',
    async fetch(signal) {
      const value = await token(signal);
      const headers: Record<string, string> =
        value === undefined ? {} : { 'X-aws-ec2-metadata-token': value };
      return metadataRequest(url, { headers, signal, maxBytes }).catch((error: unknown) => {
        throw tooLargeAsUserData(error, url, maxBytes);
      });
    },
  };
}
