/**
 * Fetch, then parse, with fixed-interval retries until the user-data parses (docs/compatibility.md §6.3:
 * every 5 s, within the overall fetch timeout): at boot the metadata service may not have it yet, and a
 * cidata file may still be being written. User-data over the size limit is final and not retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@peerpods/log';
import { type CloudConfig, parseCloudConfig } from './cloud-config';
import { errorMessage, PermanentUserDataError, UserDataError, UserDataTimeoutError } from './errors';
import type { UserDataSource } from './source';

export interface RetrieveOptions {
  /** Aborts at the overall deadline. */
  signal: AbortSignal;
  /** The overall timeout, for the error message. */
  timeoutMs: number;
  retryIntervalMs: number;
  log: Logger;
}

async function attempt(source: UserDataSource, signal: AbortSignal): Promise<CloudConfig> {
  let bytes: Buffer;
  try {
    bytes = await source.fetch(signal);
  } catch (error) {
    if (error instanceof PermanentUserDataError) throw error;
    throw new UserDataError(`failed to get user data: ${errorMessage(error)}`, { cause: error });
  }
  try {
    return await parseCloudConfig(bytes);
  } catch (error) {
    throw new UserDataError(`failed to parse user data: ${errorMessage(error)}`, { cause: error });
  }
}

function seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(3)}s`;
}

export async function retrieveCloudConfig(
  source: UserDataSource,
  { signal, timeoutMs, retryIntervalMs, log }: RetrieveOptions,
): Promise<CloudConfig> {
  const where = `${source.kind === 'file' ? 'userDataPath' : source.kind === 'url' ? 'userDataUrl' : 'userDataKey'}: ${source.location}`;
  let lastError: unknown;
  for (let retry = 1; ; retry++) {
    log.info(`provider: ${source.name}, ${where}`);
    try {
      return await attempt(source, signal);
    } catch (error) {
      if (error instanceof PermanentUserDataError) throw error;
      // An attempt cut short by the deadline says less than the failure before it, if there was one.
      if (!signal.aborted || lastError === undefined) lastError = error;
    }
    if (signal.aborted) break;
    log.info(`Retry attempt ${retry}: ${errorMessage(lastError)}`);
    try {
      await sleep(retryIntervalMs, undefined, { signal });
    } catch {
      break;
    }
  }
  throw new UserDataTimeoutError(
    `no valid user-data from ${source.name} (${source.location}) within the ${seconds(timeoutMs)} ` +
      `user-data fetch timeout; last error: ${errorMessage(lastError)}`,
  );
}
