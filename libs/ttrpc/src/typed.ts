import type { CallOptions } from './call-options';
import type { ClientStream, StreamKind, TtrpcClient } from './client';
import { Code } from './codes';
import { TtrpcError } from './errors';
import type { ServerCall } from './server-call';
import type { MethodKind, MethodTable, RawHandler } from './services';

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

/** What a typed server-streaming or bidirectional handler sends with. */
export interface TypedSender<Res> {
  send(message: Res): Promise<void>;
}

/** A typed client-side stream: typed `send`, typed iteration, typed `result`. */
export interface TypedClientStream<Req, Res> extends AsyncIterable<Res> {
  send(message: Req): void;
  closeSend(): void;
  /** Resolves at the end of the stream; a client-streaming call's response. */
  readonly result: Promise<Res | undefined>;
}

type Streams<M> = M extends { requestStream: infer In; responseStream: infer Out }
  ? [In, Out]
  : [false, false];

/** Per method: a promise for unary calls, a typed stream for streaming ones. */
export type ClientMethod<M> =
  Streams<M> extends [false, false]
    ? (request: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>
    : Streams<M> extends [false, true]
      ? (request: RequestOf<M>, options?: CallOptions) => TypedClientStream<never, ResponseOf<M>>
      : (options?: CallOptions) => TypedClientStream<RequestOf<M>, ResponseOf<M>>;

export type ServiceClient<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]: ClientMethod<S['methods'][K]>;
};

/** Per method, the handler shape follows its streaming kind. */
export type ServerMethod<M> =
  Streams<M> extends [false, false]
    ? (request: RequestOf<M>, call: ServerCall) => Promise<ResponseOf<M>> | ResponseOf<M>
    : Streams<M> extends [false, true]
      ? (request: RequestOf<M>, call: ServerCall, out: TypedSender<ResponseOf<M>>) => Promise<void>
      : Streams<M> extends [true, false]
        ? (requests: AsyncIterable<RequestOf<M>>, call: ServerCall) => Promise<ResponseOf<M>>
        : (
            requests: AsyncIterable<RequestOf<M>>,
            call: ServerCall,
            out: TypedSender<ResponseOf<M>>,
          ) => Promise<void>;

export type ServiceImplementation<S extends ServiceDescriptor> = {
  readonly [K in keyof S['methods']]?: ServerMethod<S['methods'][K]>;
};

export function methodKind(method: MethodDescriptor): MethodKind {
  if (method.requestStream) return method.responseStream ? 'bidi' : 'client-stream';
  return method.responseStream ? 'server-stream' : 'unary';
}

function decodeRequest<T>(codec: MessageCodec<T>, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (error) {
    // Go's server text for a payload that does not decode into the method's request type.
    throw new TtrpcError(Code.Internal, `ttrpc: error unmarshalling payload: ${(error as Error).message}`);
  }
}

async function* decodedMessages<T>(codec: MessageCodec<T>, call: ServerCall): AsyncGenerator<T> {
  for await (const bytes of call.messages()) yield decodeRequest(codec, bytes);
}

function typedStream<Req, Res>(
  stream: ClientStream,
  method: MethodDescriptor<Req, Res>,
): TypedClientStream<Req, Res> {
  return {
    send: (message) => stream.send(method.requestType.encode(message).finish()),
    closeSend: () => stream.closeSend(),
    result: stream.result.then((payload) =>
      payload === undefined ? undefined : method.responseType.decode(payload),
    ),
    async *[Symbol.asyncIterator]() {
      for await (const bytes of stream) yield method.responseType.decode(bytes);
    },
  };
}

/** A client whose methods encode requests, make the calls and decode responses. */
export function createServiceClient<S extends ServiceDescriptor>(
  service: S,
  client: TtrpcClient | (() => TtrpcClient),
): ServiceClient<S> {
  const current = typeof client === 'function' ? client : () => client;
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(service.methods)) {
    const kind = methodKind(method);
    if (kind === 'unary') {
      methods[key] = async (request: unknown, options?: CallOptions) =>
        method.responseType.decode(
          await current().call(
            service.fullName,
            method.name,
            method.requestType.encode(request).finish(),
            options,
          ),
        );
    } else if (kind === 'server-stream') {
      methods[key] = (request: unknown, options?: CallOptions) =>
        typedStream(
          current().stream(
            kind,
            service.fullName,
            method.name,
            method.requestType.encode(request).finish(),
            options,
          ),
          method,
        );
    } else {
      methods[key] = (options?: CallOptions) =>
        typedStream(
          current().stream(kind as StreamKind, service.fullName, method.name, undefined, options),
          method,
        );
    }
  }
  return methods as ServiceClient<S>;
}

type AnyServerMethod = (first: unknown, call: ServerCall, out: TypedSender<unknown>) => unknown;

/**
 * Raw handlers for the implemented methods of a service, ready for `server.register(fullName, …)`.
 * Methods left out are not registered, so callers get Unimplemented as from Go.
 */
export function serviceMethods<S extends ServiceDescriptor>(
  service: S,
  implementation: ServiceImplementation<S>,
): MethodTable {
  const table: Record<string, { kind: MethodKind; handler: RawHandler }> = {};
  const impl = implementation as Record<string, AnyServerMethod | undefined>;
  for (const [key, method] of Object.entries(service.methods)) {
    const handler = impl[key];
    if (!handler) continue;
    const kind = methodKind(method);
    const out: (call: ServerCall) => TypedSender<unknown> = (call) => ({
      send: (message) => call.send(method.responseType.encode(message).finish()),
    });
    const first = (call: ServerCall) =>
      method.requestStream
        ? decodedMessages(method.requestType, call)
        : decodeRequest(method.requestType, call.payload);
    table[method.name] = {
      kind,
      handler: async (call) => {
        const result = await handler(first(call), call, out(call));
        return method.responseStream ? undefined : method.responseType.encode(result).finish();
      },
    };
  }
  return table;
}
