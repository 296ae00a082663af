import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1 << 20;

/** A request's body as text; over 1 MiB is an error (no API call of the fakes comes near it). */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Drops open connections and waits until the server no longer listens. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export type ControlHandler = (path: string, method: string, body: string, response: ServerResponse) => void;

/**
 * A fake's control API on a unix socket as well, plain HTTP: a socket file is reachable from any
 * network namespace, so a test outside the fake's one can ask it what still exists.
 */
export class ControlSocket {
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(path: string, handler: ControlHandler): Promise<ControlSocket> {
    const server = createServer((request, response) => {
      readBody(request).then(
        (body) => handler((request.url ?? '/').split('?')[0]!, request.method ?? 'GET', body, response),
        () => response.writeHead(400).end(),
      );
    });
    // A file left by a fake that was killed.
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    return new ControlSocket(server, path);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
    await rm(this.path, { force: true });
  }
}
