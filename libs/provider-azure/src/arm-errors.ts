/** ARM's error code and HTTP status, as the SDK's RestError carries them. */
function details(error: unknown): { code: string; status: number | undefined; message: string } {
  const rest = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  return {
    code: typeof rest?.code === 'string' ? rest.code : '',
    status: typeof rest?.statusCode === 'number' ? rest.statusCode : undefined,
    message: error instanceof Error ? error.message : String(error),
  };
}

export const isNotFound = (error: unknown): boolean => {
  const { code, status } = details(error);
  return status === 404 || code === 'ResourceNotFound' || code === 'NotFound';
};

/** One line for logs and StartVM errors: ARM's code and message (never a credential). */
export function describeError(error: unknown): string {
  const { code, message } = details(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
