/**
 * Two small metadata fakes for the end-to-end tests (the lib's tests imitate all four services in
 * detail): EC2 IMDSv2, which refuses a user-data GET without a token it issued, and a service that
 * accepts requests and never answers. Both listen on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fake {
  url: string;
  requests: { method: string; url: string; token?: string }[];
  close(): Promise<void>;
}

async function listen(server: Server, requests: Fake['requests']): Promise<Fake> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startImdsV2(userData: string): Promise<Fake> {
  const tokens = new Set<string>();
  const requests: Fake['requests'] = [];
  const server = createServer((req, res) => {
    const token = req.headers['x-aws-ec2-metadata-token'];
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      token: typeof token === 'string' ? token : undefined,
    });
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.writeHead(400).end('Bad Request');
        return;
      }
      const issued = randomBytes(24).toString('base64');
      tokens.add(issued);
      res.writeHead(200).end(issued);
    } else if (req.method === 'GET' && req.url === '/latest/user-data') {
      if (typeof token !== 'string' || !tokens.has(token)) res.writeHead(401).end('Unauthorized');
      else res.writeHead(200).end(userData);
    } else {
      res.writeHead(404).end('Not Found');
    }
  });
  return listen(server, requests);
}

export function startSilent(): Promise<Fake> {
  const requests: Fake['requests'] = [];
  const server = createServer((req) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
  });
  return listen(server, requests);
}
