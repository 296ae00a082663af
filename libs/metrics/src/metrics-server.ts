import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a scrape reads: a prom-client Registry fits. */
export interface ScrapeSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServer {
  /** The address it listens on (the port is the real one when 0 was asked for). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and HEAD) in Prometheus' text format on `host:port`. Any other path is
 * 404, any other method 405. A listen failure names the flag and the address.
 */
export async function startMetricsServer(
  source: ScrapeSource,
  listen: { host: string; port: number },
  options: {
    /** Names the setting in a listen error (`-metrics-addr`). */
    flag?: string;
    /** SO_REUSEPORT: a daemon pod and its successor (a surge rollout on the host network) both listen. */
    reusePort?: boolean;
  } = {},
): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    source.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': source.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`collecting metrics: ${(error as Error).message}\n`);
      },
    );
  });
  // A scraper's keep-alive connection must not hold the daemon's exit.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `${options.flag ?? 'metrics'}: cannot listen on ${listen.host}:${listen.port}: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen({ host: listen.host, port: listen.port, reusePort: options.reusePort === true }, resolve);
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: listen.host, port: bound.port },
    close: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
