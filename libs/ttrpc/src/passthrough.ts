import type { TtrpcClient } from './client';
import { Code } from './codes';
import { toStatus } from './errors';
import type { ServerCall } from './server-call';
import type { MethodTable, RawHandler } from './services';

/** Sends a (possibly rewritten) request payload on and returns the raw response payload. */
export type ForwardNext = (payload: Uint8Array) => Promise<Uint8Array>;

/**
 * A hook around one forwarded method: it may decode and rewrite the request, log, or look at the
 * result. Methods without an interceptor are forwarded as bytes, never decoded.
 */
export type ForwardInterceptor = (call: ServerCall, next: ForwardNext) => Promise<Uint8Array>;

export interface ForwardOptions {
  /** Per method name (as on the wire, e.g. `CreateContainer`). */
  interceptors?: Readonly<Record<string, ForwardInterceptor>>;
  /**
   * Told of each forwarded call once it is answered, with the status code it ends with (metrics).
   * Absent, calls cost nothing extra.
   */
  onFinished?: (method: string, code: number) => void;
}

/**
 * Where calls go: a client, or a function that yields the current one for a call (dialled lazily,
 * replaced on loss; it may use the call's deadline and cancellation while it waits).
 */
export type UpstreamClient = TtrpcClient | ((call: ServerCall) => TtrpcClient | Promise<TtrpcClient>);

/**
 * A raw handler that re-issues the call upstream with the same service, method, payload bytes,
 * metadata and remaining deadline, and returns the answer or the upstream's error status unchanged.
 * The upstream call is cancelled when the incoming call is (client gone, deadline, shutdown).
 */
export function forwardCall(upstream: UpstreamClient, interceptor?: ForwardInterceptor): RawHandler {
  const resolveUpstream = typeof upstream === 'function' ? upstream : () => upstream;
  return (call) => {
    const send = (client: TtrpcClient, payload: Uint8Array) =>
      client.call(call.service, call.method, payload, {
        deadline: call.deadline,
        metadata: call.metadata,
        cancel: call,
      });
    // No await when the upstream connection is already there: each microtask turn is proxy latency.
    const next: ForwardNext = (payload) => {
      try {
        const upstreamNow = resolveUpstream(call);
        return upstreamNow instanceof Promise
          ? upstreamNow.then((client) => send(client, payload))
          : send(upstreamNow, payload);
      } catch (error) {
        return Promise.reject(error);
      }
    };
    return interceptor ? interceptor(call, next) : next(call.payload);
  };
}

/** A method table forwarding every named method of a service upstream. */
export function forwardingMethods(
  methodNames: readonly string[],
  upstream: UpstreamClient,
  options: ForwardOptions = {},
): MethodTable {
  const { onFinished } = options;
  return Object.fromEntries(
    methodNames.map((name) => {
      const handler = forwardCall(upstream, options.interceptors?.[name]);
      if (!onFinished) return [name, handler];
      const done = () => onFinished(name, Code.OK);
      const failed = (error: unknown) => onFinished(name, toStatus(error).code);
      const counted: RawHandler = (call) => {
        const answer = handler(call) as Promise<Uint8Array>;
        answer.then(done, failed);
        return answer;
      };
      return [name, counted];
    }),
  );
}
