import type { ServerCall } from './server-call';

/** How a method streams, decided by the server's registration (as in Go's ttrpc). */
export type MethodKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi';

/**
 * A raw handler: it receives the request payload still encoded and returns the encoded response,
 * so forwarding a call costs no decode or re-encode. Streaming handlers use `call.send` and
 * `call.messages()`; a client-streaming handler returns the final response.
 */
export type RawHandler = (call: ServerCall) => Promise<Uint8Array | undefined> | Uint8Array | undefined;

export interface MethodRegistration {
  kind: MethodKind;
  handler: RawHandler;
}

export type MethodTable = Readonly<Record<string, RawHandler | MethodRegistration>>;

/** The service → method → handler map a server routes on, by exact full service name. */
export class ServiceRegistry {
  private readonly services = new Map<string, Map<string, MethodRegistration>>();

  register(service: string, methods: MethodTable): void {
    if (this.services.has(service)) throw new Error(`ttrpc: service ${service} is already registered`);
    const table = new Map<string, MethodRegistration>();
    for (const [name, entry] of Object.entries(methods)) {
      table.set(name, typeof entry === 'function' ? { kind: 'unary', handler: entry } : entry);
    }
    this.services.set(service, table);
  }

  /** The method, or the status Go's server answers: code 12 `service X` / `method X`. */
  resolve(service: string, method: string): MethodRegistration | { unknown: string } {
    const table = this.services.get(service);
    if (!table) return { unknown: `service ${service}` };
    return table.get(method) ?? { unknown: `method ${method}` };
  }
}
