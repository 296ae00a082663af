import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '@peerpods/fake-cloud-kit';
import type { CloudFlavour, MetadataServer, MetadataSubject } from '@peerpods/pod-vm-host';

/**
 * IBM Cloud VPC's instance metadata service as far as a pod VM uses it: `PUT
 * /instance_identity/v1/token?version=…` with `Metadata-Flavor: ibm` hands out an instance identity
 * token; `GET /metadata/v1/instance/initialization?version=…` with it as a bearer token answers the
 * user-data as it was given at create. The VM is known by the address the request comes from.
 */
class IbmInstanceMetadata implements MetadataServer {
  private constructor(private readonly server: Server) {}

  static async listen(
    address: string,
    lookup: (ip: string) => MetadataSubject | undefined,
  ): Promise<IbmInstanceMetadata> {
    const tokens = new Map<string, string>();
    const server = createServer((request, response) => {
      const reply = (status: number, value: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const fail = (status: number, code: string, message: string) =>
        reply(status, { errors: [{ code, message }], trace: randomBytes(8).toString('hex') });
      readBody(request).then(
        () => {
          const url = new URL(request.url ?? '/', 'http://169.254.169.254');
          const subject = lookup((request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''));
          if (!subject) return fail(404, 'not_found', 'no instance at this address');
          if (!/^\d{4}-\d{2}-\d{2}$/.test(url.searchParams.get('version') ?? '')) {
            return fail(400, 'missing_version', 'The version query parameter is required.');
          }
          if (request.method === 'PUT' && url.pathname === '/instance_identity/v1/token') {
            if (request.headers['metadata-flavor'] !== 'ibm') {
              return fail(400, 'missing_metadata_flavor', 'The Metadata-Flavor: ibm header is required.');
            }
            const token = randomBytes(24).toString('base64url');
            tokens.set(token, subject.instanceId);
            return reply(200, { access_token: token, expires_in: 300, created_at: new Date().toISOString() });
          }
          if (request.method === 'GET' && url.pathname === '/metadata/v1/instance/initialization') {
            const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
            if (!token || tokens.get(token) !== subject.instanceId) {
              return fail(401, 'not_authorized', 'A valid instance identity token is required.');
            }
            return reply(200, { keys: [], user_data: subject.userData });
          }
          return fail(404, 'not_found', `no such metadata path ${url.pathname}`);
        },
        () => response.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: 0 }, resolve);
    });
    return new IbmInstanceMetadata(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * IBM Cloud VPC as a pod VM sees it: a KVM guest (what process-user-data probes) and the instance
 * metadata service. GCP's probe, which comes first on KVM, is pointed at the same link-local service
 * (which answers it 404, as IBM Cloud's resolver answers metadata.google.internal with NXDOMAIN), so
 * its name lookup never leaves this machine.
 */
export const IBM_FLAVOUR: CloudFlavour = {
  hardware: {
    'proc/cpuinfo': 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 hypervisor\n',
    'sys/devices/system/clocksource/clocksource0/available_clocksource': 'kvm-clock tsc acpi_pm\n',
  },
  userDataEnv: { PEERPODS_USERDATA_GCP_METADATA_URL: 'http://169.254.169.254' },
  serveMetadata: (address, lookup) => IbmInstanceMetadata.listen(address, lookup),
};
