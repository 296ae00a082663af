import type { CallOptions } from './call-options';
import type { TtrpcClient } from './client';
import { Code } from './codes';
import { TtrpcError } from './errors';
import type { ServerCall } from './server-call';
import type { MethodTable } from './services';

/**
 * Typed services on top of the raw client and server. The shapes match what ts-proto generates
 * with `outputServices=generic-definitions`, so generated definitions plug in directly; nothing
 * here depends on a particular generator.
 */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface MethodDescriptor<Req = unknown, Res = unknown> {
  /** The method name on the wire, e.g. `CreateContainer`. */
  readonly name: string;
  readonly requestType: MessageCodec<Req>;
  readonly responseType: MessageCodec<Res>;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export interface ServiceDescriptor {
  readonly name: string;
  /** The service name on the wire, e.g. `grpc.AgentService`. */
  readonly fullName: string;
  readonly methods: Readonly<Record<string, MethodDescriptor>>;
}

export type RequestOf<M> = M extends MethodDescriptor<infer Req, unknown> ? Req : never;
export type ResponseOf<M> = M extends MethodDescriptor<unknown, infer Res> ? Res : never;

export type ServiceClient<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]: (
    request: RequestOf<S['methods'][K]>,
    options?: CallOptions,
  ) => Promise<ResponseOf<S['methods'][K]>>;
};

export type ServiceImplementation<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]?: (
    request: RequestOf<S['methods'][K]>,
    call: ServerCall,
  ) => Promise<ResponseOf<S['methods'][K]>> | ResponseOf<S['methods'][K]>;
};

function unaryOnly(service: ServiceDescriptor, method: MethodDescriptor): void {
  if (method.requestStream || method.responseStream) {
    throw new Error(`ttrpc: ${service.fullName}/${method.name} streams; use the raw stream API for it`);
  }
}

/** A client whose methods encode the request, make the call and decode the response. */
export function createServiceClient<S extends ServiceDescriptor>(
  service: S,
  client: TtrpcClient | (() => TtrpcClient),
): ServiceClient<S> {
  const current = typeof client === 'function' ? client : () => client;
  const methods: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {};
  for (const [key, method] of Object.entries(service.methods)) {
    unaryOnly(service, method);
    methods[key] = async (request, options) => {
      const response = await current().call(
        service.fullName,
        method.name,
        method.requestType.encode(request).finish(),
        options,
      );
      return method.responseType.decode(response);
    };
  }
  return methods as ServiceClient<S>;
}

/**
 * Raw handlers for the implemented methods of a service, ready for `server.register(fullName, …)`.
 * Methods left out are not registered, so callers get Unimplemented as from Go.
 */
export function serviceMethods<S extends ServiceDescriptor>(
  service: S,
  implementation: ServiceImplementation<S>,
): MethodTable {
  const table: Record<string, (call: ServerCall) => Promise<Uint8Array>> = {};
  const impl = implementation as Record<
    string,
    ((request: unknown, call: ServerCall) => unknown) | undefined
  >;
  for (const [key, method] of Object.entries(service.methods)) {
    const handler = impl[key];
    if (!handler) continue;
    unaryOnly(service, method);
    table[method.name] = async (call) => {
      let request: unknown;
      try {
        request = method.requestType.decode(call.payload);
      } catch (error) {
        throw new TtrpcError(
          Code.Internal,
          `ttrpc: error unmarshalling payload: ${(error as Error).message}`,
        );
      }
      const response = await handler(request, call);
      return method.responseType.encode(response).finish();
    };
  }
  return table;
}
