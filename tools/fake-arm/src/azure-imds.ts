import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFlavour, MetadataServer, MetadataSubject } from '@peerpods/pod-vm-host';

/**
 * Azure's instance metadata service as far as a pod VM uses it: `GET /metadata/instance/compute/
 * userData?api-version=…&format=text` with the `Metadata: true` header answers the user-data in
 * base64, as Azure stores it. The VM is known by the address the request comes from.
 */
class AzureImds implements MetadataServer {
  private constructor(private readonly server: Server) {}

  static async listen(
    address: string,
    lookup: (ip: string) => MetadataSubject | undefined,
  ): Promise<AzureImds> {
    const server = createServer((request, response) => {
      const reply = (status: number, body: string, type = 'application/json') => {
        response.writeHead(status, { 'content-type': type }).end(body);
      };
      if (request.headers.metadata !== 'true') {
        reply(400, JSON.stringify({ error: 'Bad request. Required metadata header not specified' }));
        return;
      }
      const url = new URL(request.url ?? '/', 'http://169.254.169.254');
      if (!url.searchParams.get('api-version')) {
        reply(400, JSON.stringify({ error: 'Bad request. api-version was not specified in the request.' }));
        return;
      }
      const subject = lookup((request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''));
      if (!subject) {
        reply(404, JSON.stringify({ error: 'Not found' }));
        return;
      }
      if (url.pathname === '/metadata/instance/compute/userData') {
        reply(200, Buffer.from(subject.userData).toString('base64'), 'text/plain; charset=utf-8');
        return;
      }
      if (url.pathname === '/metadata/instance/compute/name') {
        reply(200, subject.instanceId, 'text/plain; charset=utf-8');
        return;
      }
      reply(404, JSON.stringify({ error: 'Not found' }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port: 0 }, resolve);
    });
    return new AzureImds(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Azure as a pod VM sees it: a Hyper-V guest (what process-user-data probes), and Azure's IMDS. */
export const AZURE_FLAVOUR: CloudFlavour = {
  hardware: {
    'proc/cpuinfo': 'processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 hypervisor\n',
    'sys/devices/system/clocksource/clocksource0/available_clocksource':
      'hyperv_clocksource_tsc_page acpi_pm\n',
  },
  serveMetadata: (address, lookup) => AzureImds.listen(address, lookup),
};
