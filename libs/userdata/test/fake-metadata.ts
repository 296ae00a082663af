/**
 * Local imitations of the four metadata services, on 127.0.0.1 only. Each enforces what the real
 * service enforces about the request (the header it requires, refusing proxied requests), so a test
 * that gets user-data from one proves the client sent the right request:
 *
 * - Azure IMDS: `GET /metadata/instance/compute/userData?api-version=2021-01-01&format=text` needs
 *   `Metadata: true` (else 400 "Required metadata header not specified"); body base64.
 * - EC2 IMDS: `PUT /latest/api/token` needs `X-aws-ec2-metadata-token-ttl-seconds` in 1..21600 (else
 *   400); `GET /latest/user-data` needs a valid `X-aws-ec2-metadata-token` when tokens are required
 *   (else 401); body raw. `tokens: 'unavailable'` makes the PUT fail (403) and GET work without a
 *   token (an IMDSv1-only endpoint); `'hang'` never answers the PUT (hop limit dropping the response).
 * - GCP metadata server: everything under /computeMetadata/v1 needs `Metadata-Flavor: Google` (else
 *   403) and answers with that header; the `user-data` attribute is base64.
 * - Alibaba Cloud: `GET /latest/user-data`, raw.
 * All refuse requests carrying `X-Forwarded-For` as the real ones do. 404 where nothing is served.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface FakeOptions {
  /** The user-data as the VM's owner gave it (the fake encodes it the service's way). */
  userData?: string | Buffer;
  /**
   * 'ok' (default); 'hang': accept the user-data request and never answer; 'stall': answer 200 with
   * part of the body and never finish it; 'error': 500 to every user-data request; 'late': 404 to the
   * first `lateBy` user-data requests (not there yet), then ok.
   */
  behaviour?: 'ok' | 'hang' | 'stall' | 'error' | 'late';
  lateBy?: number;
  /** EC2 only: 'required' (default, IMDSv2 only), 'unavailable' or 'hang' (see above). */
  tokens?: 'required' | 'unavailable' | 'hang';
  /** Send this body instead of encoding userData (e.g. invalid base64). */
  rawBody?: string | Buffer;
}

export interface FakeService {
  url: string;
  requests: RecordedRequest[];
  /** Requests for the user-data itself. */
  userDataRequests(): RecordedRequest[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

async function start(handler: Handler, userDataPath: string): Promise<FakeService> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.headers['x-forwarded-for'] !== undefined) return send(res, 403, 'Forbidden');
    handler(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    userDataRequests: () => requests.filter((r) => new URL(r.url, 'http://x').pathname === userDataPath),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Applies `behaviour` to a user-data request; true when it has been answered (or left hanging). */
function misbehave(options: FakeOptions, served: { count: number }, res: ServerResponse): boolean {
  served.count += 1;
  switch (options.behaviour ?? 'ok') {
    case 'hang':
      return true;
    case 'stall':
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100000' });
      res.write('#cloud-config\n');
      return true;
    case 'error':
      send(res, 500, 'Internal Server Error');
      return true;
    case 'late':
      if (served.count <= (options.lateBy ?? 1)) {
        send(res, 404, 'Not Found');
        return true;
      }
      return false;
    default:
      return false;
  }
}

const base64 = (data: string | Buffer) => Buffer.from(data).toString('base64');

export function startAzureImds(options: FakeOptions = {}): Promise<FakeService> {
  const served = { count: 0 };
  const path = '/metadata/instance/compute/userData';
  return start((req, res, url) => {
    if (req.method !== 'GET' || url.pathname !== path) return send(res, 404, 'Not Found');
    if (req.headers.metadata !== 'true') {
      return send(
        res,
        400,
        JSON.stringify({ error: 'Bad request. Required metadata header not specified' }),
        {
          'Content-Type': 'application/json',
        },
      );
    }
    if (url.searchParams.get('api-version') !== '2021-01-01' || url.searchParams.get('format') !== 'text') {
      return send(res, 400, JSON.stringify({ error: 'Bad request. api-version or format is invalid' }));
    }
    if (misbehave(options, served, res)) return;
    send(res, 200, options.rawBody ?? base64(options.userData ?? ''));
  }, path);
}

export function startAwsImds(options: FakeOptions = {}): Promise<FakeService> {
  const served = { count: 0 };
  const tokens = new Set<string>();
  const mode = options.tokens ?? 'required';
  const path = '/latest/user-data';
  return start((req, res, url) => {
    if (url.pathname === '/latest/api/token') {
      if (req.method !== 'PUT') return send(res, 405, 'Method Not Allowed');
      if (mode === 'hang') return;
      if (mode === 'unavailable') return send(res, 403, 'Forbidden');
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return send(res, 400, 'Bad Request');
      const token = randomBytes(32).toString('base64');
      tokens.add(token);
      return send(res, 200, token, { 'X-Aws-Ec2-Metadata-Token-Ttl-Seconds': String(ttl) });
    }
    if (req.method !== 'GET' || url.pathname !== path) return send(res, 404, 'Not Found');
    const token = req.headers['x-aws-ec2-metadata-token'];
    if (mode === 'required' && (typeof token !== 'string' || !tokens.has(token))) {
      return send(res, 401, 'Unauthorized');
    }
    if (misbehave(options, served, res)) return;
    send(res, 200, options.rawBody ?? options.userData ?? '');
  }, path);
}

export function startGcpMetadata(options: FakeOptions = {}): Promise<FakeService> {
  const served = { count: 0 };
  const path = '/computeMetadata/v1/instance/attributes/user-data';
  const flavor = { 'Metadata-Flavor': 'Google' };
  return start((req, res, url) => {
    if (!url.pathname.startsWith('/computeMetadata/v1')) return send(res, 404, 'Not Found');
    if (req.headers['metadata-flavor'] !== 'Google') {
      return send(res, 403, 'Missing Metadata-Flavor:Google header.', flavor);
    }
    if (req.method !== 'GET') return send(res, 405, 'Method Not Allowed', flavor);
    if (url.pathname === '/computeMetadata/v1/instance' || url.pathname === '/computeMetadata/v1/instance/') {
      return send(res, 200, 'attributes/\nhostname\nid\nmachine-type\nzone\n', flavor);
    }
    if (url.pathname !== path) return send(res, 404, 'Not Found', flavor);
    if (misbehave(options, served, res)) return;
    send(res, 200, options.rawBody ?? base64(options.userData ?? ''), flavor);
  }, path);
}

export function startAlibabaMetadata(options: FakeOptions = {}): Promise<FakeService> {
  const served = { count: 0 };
  const path = '/latest/user-data';
  return start((req, res, url) => {
    if (req.method !== 'GET' || url.pathname !== path) return send(res, 404, 'Not Found');
    if (misbehave(options, served, res)) return;
    send(res, 200, options.rawBody ?? options.userData ?? '');
  }, path);
}

/** IBM Cloud VPC's instance metadata: an identity token (PUT, Metadata-Flavor: ibm), then the initialization JSON. */
export function startIbmMetadata(options: FakeOptions = {}): Promise<FakeService> {
  const served = { count: 0 };
  const path = '/metadata/v1/instance/initialization';
  return start((req, res, url) => {
    if (!url.searchParams.get('version')) return send(res, 400, '{"errors":[{"code":"missing_version"}]}');
    if (req.method === 'PUT' && url.pathname === '/instance_identity/v1/token') {
      if (req.headers['metadata-flavor'] !== 'ibm')
        return send(res, 400, '{"errors":[{"code":"missing_flavor"}]}');
      return send(res, 200, JSON.stringify({ access_token: 'ibm-identity-token', expires_in: 300 }));
    }
    if (req.method !== 'GET' || url.pathname !== path)
      return send(res, 404, '{"errors":[{"code":"not_found"}]}');
    if (req.headers.authorization !== 'Bearer ibm-identity-token') return send(res, 401, '{}');
    if (misbehave(options, served, res)) return;
    send(res, 200, options.rawBody ?? JSON.stringify({ keys: [], user_data: options.userData ?? '' }));
  }, path);
}
