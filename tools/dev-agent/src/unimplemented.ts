import { Code, type MethodTable, type RawHandler, type ServiceDescriptor, TtrpcError } from '@peerpods/ttrpc';

/**
 * Handlers for every method of `service` not in `implemented`, each failing with Unimplemented and
 * a message naming the method (the ttrpc server's own answer, `method X`, would not say why).
 */
export function unimplementedMethods(
  service: ServiceDescriptor,
  implemented: readonly string[],
): MethodTable {
  const done = new Set(implemented);
  const table: Record<string, RawHandler> = {};
  for (const method of Object.values(service.methods)) {
    if (done.has(method.name)) continue;
    table[method.name] = () => {
      throw new TtrpcError(Code.Unimplemented, `${method.name} is not implemented by dev-agent`);
    };
  }
  return table;
}
