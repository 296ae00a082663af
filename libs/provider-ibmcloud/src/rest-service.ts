import { type AttemptTally, type CloudApiObserver, observeApiCall } from '@peerpods/providers';
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
  constructor(
    serviceUrl: string,
    authenticator: AuthenticatorInterface,
    private readonly apiCalls?: CloudApiObserver,
  ) {
    super({ authenticator, serviceUrl });
    // Before retry-axios attaches its own: axios runs response interceptors in the order they were
    // added, so this one sees every attempt, the ones retry-axios then repeats included.
    if (apiCalls) countAttempts(this.getHttpClient());
    this.enableRetries({ maxRetries: MAX_RETRIES, maxRetryInterval: MAX_RETRY_INTERVAL_S });
  }

  call<T>(call: RestCall): Promise<RestAnswer<T>> {
    return observeApiCall(this.apiCalls, `${call.method} ${call.path}`, (tally) =>
      this.#send<T>(call, tally),
    );
  }

  async #send<T>(call: RestCall, tally: AttemptTally): Promise<RestAnswer<T>> {
    const countAttempt: AttemptCounter = (throttled) => {
      tally.attempts += 1;
      if (throttled) tally.throttled += 1;
    };
    const axiosOptions: Record<string, unknown> = { signal: call.signal, [COUNT_ATTEMPT]: countAttempt };
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

// Each attempt is counted through a function in the axios request config: the SDK deep-copies the
// options (a tally object would be copied with them), and retry-axios hands the config back as is.
const COUNT_ATTEMPT = 'peerpodsCountAttempt';
type AttemptCounter = (throttled: boolean) => void;

function countAttempts(client: ReturnType<BaseService['getHttpClient']>): void {
  const counterOf = (config: object | undefined) =>
    (config as Record<string, AttemptCounter | undefined> | undefined)?.[COUNT_ATTEMPT];
  client.interceptors.response.use(
    (response) => {
      counterOf(response.config)?.(false);
      return response;
    },
    (error: unknown) => {
      const { config, response } = error as { config?: object; response?: { status?: number } };
      counterOf(config)?.(response?.status === 429);
      return Promise.reject(error);
    },
  );
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
