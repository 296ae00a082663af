import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFlavour } from '@peerpods/pod-vm-host';

/** What the metadata service knows of the instance at an address. */
export interface MetadataSubject {
  instanceId: string;
  privateIp: string;
  userData: string;
  region: string;
  availabilityZone: string;
  /** The worker's view (a fake's worker metadata): its key pair and primary interface. */
  keyName?: string;
  mac?: string;
  subnetId?: string;
  securityGroupIds?: string[];
}

const TOKEN_TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

/**
 * EC2's instance metadata service, IMDSv2 only (HttpTokens=required, the setting AWS recommends):
 * `PUT /latest/api/token` with a TTL header gives a session token, and every GET must carry it.
 * The instance is known by the address the request comes from, as on EC2.
 */
export class InstanceMetadataService {
  readonly #server: Server;
  readonly #tokens = new Map<string, { ip: string; expires: number }>();

  private constructor(private readonly lookup: (ip: string) => MetadataSubject | undefined) {
    this.#server = createServer((request, response) => this.#handle(request, response));
  }

  static async listen(
    address: string,
    lookup: (ip: string) => MetadataSubject | undefined,
  ): Promise<InstanceMetadataService> {
    const service = new InstanceMetadataService(lookup);
    await new Promise<void>((resolve, reject) => {
      service.#server.once('error', reject);
      service.#server.listen({ host: address, port: 0 }, resolve);
    });
    return service;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const ip = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const subject = this.lookup(ip);
    const reply = (status: number, body = '') => {
      response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    };
    if (!subject) {
      reply(404);
      return;
    }
    const path = (request.url ?? '/').split('?')[0]!;
    if (request.method === 'PUT' && path === '/latest/api/token') {
      const ttl = Number(request.headers[TOKEN_TTL_HEADER]);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) {
        reply(400);
        return;
      }
      const token = randomBytes(24).toString('base64url');
      this.#tokens.set(token, { ip, expires: Date.now() + ttl * 1000 });
      response.setHeader(TOKEN_TTL_HEADER, String(ttl));
      reply(200, token);
      return;
    }
    if (request.method !== 'GET') {
      reply(405);
      return;
    }
    const token = this.#tokens.get(String(request.headers[TOKEN_HEADER] ?? ''));
    if (!token || token.ip !== ip || token.expires < Date.now()) {
      reply(401);
      return;
    }
    const values: Record<string, string> = {
      '/latest/user-data': subject.userData,
      '/latest/meta-data/instance-id': subject.instanceId,
      '/latest/meta-data/local-ipv4': subject.privateIp,
      '/latest/meta-data/placement/region': subject.region,
      '/latest/meta-data/placement/availability-zone': subject.availabilityZone,
    };
    if (subject.keyName) values['/latest/meta-data/public-keys/'] = `0=${subject.keyName}`;
    if (subject.mac) {
      values['/latest/meta-data/mac'] = subject.mac;
      const prefix = `/latest/meta-data/network/interfaces/macs/${subject.mac}`;
      if (subject.subnetId) values[`${prefix}/subnet-id`] = subject.subnetId;
      if (subject.securityGroupIds)
        values[`${prefix}/security-group-ids`] = subject.securityGroupIds.join('\n');
    }
    const value = values[path];
    if (value === undefined || (path === '/latest/user-data' && value === '')) {
      reply(404);
      return;
    }
    reply(200, value);
    return;
  }
}

/** EC2 as a pod VM sees it: the DMI vendor process-user-data probes, and IMDSv2 with the region. */
export function ec2Flavour(placement: { region: string; availabilityZone: string }): CloudFlavour {
  return {
    hardware: { 'sys/class/dmi/id/sys_vendor': 'Amazon EC2\n' },
    serveMetadata: (address, lookup) =>
      InstanceMetadataService.listen(address, (ip) => {
        const subject = lookup(ip);
        return subject && { ...subject, ...placement };
      }),
  };
}
