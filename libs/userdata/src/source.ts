import { PermanentUserDataError } from './errors';

/** Where user-data comes from: the cidata file or one cloud's metadata service. */
export interface UserDataSource {
  /** Upstream's provider name, as its log lines show it: File, Azure, AWS, GCP, AlibabaCloud. */
  readonly name: string;
  /** The file path or URL, for log lines and errors. */
  readonly location: string;
  readonly kind: 'file' | 'url' | 'command';
  /** One attempt. `signal` aborts at the overall fetch deadline. Returns the user-data bytes, decoded. */
  fetch(signal: AbortSignal): Promise<Buffer>;
}

export function userDataTooLarge(location: string, maxBytes: number): PermanentUserDataError {
  return new PermanentUserDataError(`user-data from ${location} is larger than the ${maxBytes}-byte limit`);
}

/** A base64 body may be 4/3 of the decoded size plus line breaks; twice the limit covers both. */
export function base64BodyLimit(maxBytes: number): number {
  return maxBytes * 2;
}

/** Restates a too-large response as the user-data limit it stands for. */
export function tooLargeAsUserData(error: unknown, location: string, maxBytes: number): unknown {
  return error instanceof PermanentUserDataError ? userDataTooLarge(location, maxBytes) : error;
}
