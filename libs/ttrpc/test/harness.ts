import { join } from 'node:path';
import { after } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { type MethodTable, type ServerOptions, TtrpcClient, TtrpcServer } from '../src/index';

export { tempDir };

let counter = 0;

/** A server on a unix socket with the given services, and a connected client; both closed afterwards. */
export async function serverAndClient(
  services: Readonly<Record<string, MethodTable>>,
  options: ServerOptions = {},
): Promise<{ server: TtrpcServer; client: TtrpcClient; path: string }> {
  const path = join(tempDir(), `s${counter++}.sock`);
  const server = new TtrpcServer(options);
  for (const [name, methods] of Object.entries(services)) server.register(name, methods);
  await server.listen({ path });
  const client = await TtrpcClient.connect({ path });
  after(async () => {
    client.close();
    await server.close();
  });
  return { server, client, path };
}
