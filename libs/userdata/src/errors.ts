/** Any failure of provisioning; the message is meant for the boot log as it stands. */
export class UserDataError extends Error {
  override readonly name: string = 'UserDataError';
}

/** User-data that retrying cannot fix (too large); fetching stops at once. */
export class PermanentUserDataError extends UserDataError {
  override readonly name: string = 'PermanentUserDataError';
}

/** The user-data is not `{write_files: [{path, content}]}` as upstream's strict decoder reads it. */
export class CloudConfigError extends UserDataError {
  override readonly name: string = 'CloudConfigError';
}

/** No valid user-data from the source within the fetch timeout. */
export class UserDataTimeoutError extends UserDataError {
  override readonly name: string = 'UserDataTimeoutError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
