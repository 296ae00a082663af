import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningWebhook } from './webhook-server';

/** `/healthz` and `/readyz` (200 `ok`), upstream's probes on -health-probe-bind-address. */
export async function startProbeServer(listen: { host: string; port: number }): Promise<RunningWebhook> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/healthz' || path === '/readyz')
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `-health-probe-bind-address: cannot listen on ${listen.host}:${listen.port}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen({ port: listen.port, host: listen.host }, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
