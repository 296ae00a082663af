import { type AuthenticatorInterface, BaseService } from 'ibm-cloud-sdk-core';

export interface RestCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Relative to the service URL, with `{name}` placeholders for `pathParams`. */
  path: string;
  pathParams?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string | number>>;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * Retry only throttling (429), for a call that is not safe to repeat after a server error: a
   * POST that creates something may have done so before the 5xx.
   */
  retryThrottlingOnly?: boolean;
}

export interface RestAnswer<T> {
  status: number;
  result: T;
}

/** How an IBM Cloud API refused a call: the HTTP status and its error body (`errors[0].code`, `trace`). */
export interface IbmApiError extends Error {
  status?: number;
  result?: { errors?: { code?: string; message?: string }[]; trace?: string };
}

const MAX_RETRIES = 5;
const MAX_RETRY_INTERVAL_S = 30;

/**
 * One IBM Cloud REST API (VPC, Global Tagging, ...) through ibm-cloud-sdk-core's BaseService: its
 * authenticator adds and renews the IAM bearer token, and retry-axios retries 429 and 5xx with
 * exponential backoff, honouring Retry-After.
 */
export class IbmRestService extends BaseService {
  constructor(serviceUrl: string, authenticator: AuthenticatorInterface) {
    super({ authenticator, serviceUrl });
    this.enableRetries({ maxRetries: MAX_RETRIES, maxRetryInterval: MAX_RETRY_INTERVAL_S });
  }

  async call<T>(call: RestCall): Promise<RestAnswer<T>> {
    const axiosOptions: Record<string, unknown> = { signal: call.signal };
    if (call.retryThrottlingOnly) {
      axiosOptions.raxConfig = {
        retry: MAX_RETRIES,
        retryDelay: 1000,
        httpMethodsToRetry: [call.method],
        statusCodesToRetry: [[429, 429]],
        backoffType: 'exponential',
        checkRetryAfter: true,
        maxRetryDelay: MAX_RETRY_INTERVAL_S * 1000,
        instance: this.getHttpClient(),
      };
    }
    const answer = (await this.createRequest({
      options: {
        url: call.path,
        method: call.method,
        path: call.pathParams ?? {},
        qs: call.query ?? {},
        body: call.body,
        axiosOptions,
      },
      defaultOptions: {
        serviceUrl: this.baseOptions.serviceUrl,
        headers: {
          Accept: 'application/json',
          ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
    })) as { status: number; result: T };
    return { status: answer.status, result: answer.result };
  }
}

export function apiStatus(error: unknown): number | undefined {
  return (error as IbmApiError).status;
}

/** The API's error in one line: message, HTTP status, IBM's error code and trace id. */
export function describeApiError(error: unknown): string {
  const { message, status, result } = error as IbmApiError;
  const code = result?.errors?.[0]?.code;
  const details = [
    status ? `HTTP ${status}` : '',
    code ? `code ${code}` : '',
    result?.trace ? `trace ${result.trace}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return details ? `${message} (${details})` : message;
}
