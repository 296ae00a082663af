import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BucketRate, ControlSocket, closeServer, readBody, TokenBucket } from '@peerpods/fake-cloud-kit';
import { type Machines, PaperMachines, type PodVmHostSettings, PodVmMachines } from '@peerpods/pod-vm-host';
import { DEFAULT_IBM_CATALOG, type IbmCatalog } from './catalog';
import { consume, type IbmFaults } from './faults';
import { IamTokens } from './iam';
import { IBM_FLAVOUR } from './ibm-metadata';
import { type FakeInstance, InstanceStore } from './instance-store';

export interface FakeIbmVpcOptions {
  host?: string;
  port?: number;
  catalog?: IbmCatalog;
  /** Boot every instance as a pod VM; without it instances are records with addresses from 198.18.0.0/15. */
  podVms?: PodVmHostSettings;
  /** VPC's per-account rate limit; off when absent. */
  throttle?: BucketRate;
  /** Start the throttle's bucket empty, as an account others have drained. */
  throttleStartEmpty?: boolean;
  faults?: IbmFaults;
  /** Also serve the control API (`/_fake/*`) on this unix socket. */
  controlSocket?: string;
  log?: (message: string) => void;
}

export interface IbmInventory {
  instances: {
    id: string;
    name: string;
    status: string;
    profile: string;
    image: string;
    zone: string;
    primaryIp: string;
    interfaces: number;
    securityGroups: string[];
    placementTarget: string | undefined;
    confidentialComputeMode: string;
    secureBoot: boolean;
    metadataService: boolean;
    userData: string;
    tags: string[];
  }[];
}

export interface IbmCallCounts {
  calls: Record<string, number>;
  throttled: number;
  tokensIssued: number;
  tokensForTrustedProfile: number;
}

const USER_DATA_MAX_BYTES = 64 * 1024;

/**
 * A fake of IBM Cloud for tests and demos (not IBM Cloud): the VPC API calls the ibmcloud provider
 * makes under `/v1` (with `version` and `generation=2`, VPC's error bodies, 429 when throttled), IAM's
 * token endpoint, Global Tagging's attach and list, and IBM Cloud Kubernetes Service's cluster
 * security-group lookup, all on one plain-HTTP port on loopback.
 */
export class FakeIbmVpc {
  readonly catalog: IbmCatalog;
  readonly #server: Server;
  readonly #iam: IamTokens;
  readonly #store: InstanceStore;
  readonly #throttle: TokenBucket | undefined;
  readonly #calls: Record<string, number> = {};
  #throttled = 0;
  #faults: IbmFaults;
  #control: ControlSocket | undefined;
  readonly #log: (message: string) => void;

  private constructor(options: FakeIbmVpcOptions, machines: Machines) {
    this.catalog = options.catalog ?? DEFAULT_IBM_CATALOG;
    this.#log = options.log ?? (() => {});
    this.#faults = structuredClone(options.faults ?? {});
    this.#iam = new IamTokens(this.catalog.apiKey, this.catalog.trustedProfileId, this.catalog.accountId);
    this.#store = new InstanceStore(this.catalog, machines, () => this.#faults);
    this.#throttle = options.throttle
      ? new TokenBucket(options.throttle, options.throttleStartEmpty ? 0 : options.throttle.capacity)
      : undefined;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#log(`request failed: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  }

  static async start(options: FakeIbmVpcOptions = {}): Promise<FakeIbmVpc> {
    const machines = options.podVms
      ? await PodVmMachines.start(options.podVms, IBM_FLAVOUR)
      : new PaperMachines();
    const fake = new FakeIbmVpc(options, machines);
    try {
      await new Promise<void>((resolve, reject) => {
        fake.#server.once('error', reject);
        fake.#server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, resolve);
      });
      if (options.controlSocket) {
        fake.#control = await ControlSocket.listen(options.controlSocket, (path, method, body, response) =>
          fake.#answerControl(path, method, body, response),
        );
      }
    } catch (error) {
      fake.#server.close();
      await fake.#store.close().catch(() => {});
      throw error;
    }
    return fake;
  }

  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  /** The ibmcloud provider's flags for this fake, by name: endpoints, the catalog's network and images. */
  providerFlags(): Record<string, string> {
    return ibmProviderFlags(this.url, this.catalog);
  }

  inventory(): IbmInventory {
    return {
      instances: this.#store.list().map((instance: FakeInstance) => ({
        id: instance.id,
        name: instance.prototype.name,
        status: instance.status,
        profile: instance.prototype.profile.name,
        image: instance.prototype.image.id,
        zone: instance.prototype.zone.name,
        primaryIp: instance.ips[0] ?? '',
        interfaces: instance.ips.length,
        securityGroups: (instance.prototype.primary_network_interface.security_groups ?? []).map((g) => g.id),
        placementTarget: instance.prototype.placement_target?.id,
        confidentialComputeMode: instance.prototype.confidential_compute_mode ?? 'disabled',
        secureBoot: instance.prototype.enable_secure_boot === true,
        metadataService: instance.prototype.metadata_service?.enabled === true,
        userData: instance.prototype.user_data ?? '',
        tags: [...instance.tags],
      })),
    };
  }

  counts(): IbmCallCounts {
    return {
      calls: { ...this.#calls },
      throttled: this.#throttled,
      tokensIssued: this.#iam.issued,
      tokensForTrustedProfile: this.#iam.forTrustedProfile,
    };
  }

  /** Empties the throttle's bucket now, as an account others have just drained. */
  drainThrottle(): void {
    while (this.#throttle?.take()) {}
  }

  setFaults(faults: IbmFaults): void {
    this.#faults = structuredClone(faults);
  }

  async stop(): Promise<void> {
    await this.#control?.close();
    await closeServer(this.#server);
    await this.#store.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    const path = url.pathname;
    if (path.startsWith('/_fake/')) {
      this.#answerControl(path, method, body, response);
      return;
    }
    if (method === 'POST' && path === '/identity/token') {
      this.#count('iam token');
      const grant = this.#iam.grant(new URLSearchParams(body), this.#faults.iamDown === true);
      json(response, grant.ok ? 200 : grant.status, grant.body);
      return;
    }
    if (!this.#iam.authorized(request.headers.authorization)) {
      vpcError(response, 401, 'not_authorized', 'The request is not authorized.');
      return;
    }
    if (path.startsWith('/v1/')) {
      await this.#vpc(method, path.slice(3), url.searchParams, body, response);
      return;
    }
    if (method === 'POST' && path === '/v3/tags/attach') {
      this.#count('tags attach');
      this.#attachTags(url.searchParams, body, response);
      return;
    }
    if (method === 'GET' && path === '/v3/tags') {
      this.#count('tags list');
      const crn = url.searchParams.get('attached_to') ?? '';
      const instance = this.#store.list().find((candidate) => candidate.crn === crn);
      const items = (instance?.tags ?? []).map((name) => ({ name }));
      json(response, 200, { total_count: items.length, offset: 0, limit: 1000, items });
      return;
    }
    if (method === 'GET' && path === '/global/network/v2/security-group/getSecurityGroups') {
      this.#count('cluster security groups');
      const cluster = url.searchParams.get('cluster');
      if (cluster !== this.catalog.clusterId) {
        json(response, 404, {
          code: 'G0004E',
          description: `The specified cluster could not be found. ${cluster}`,
          type: 'Provisioning',
        });
        return;
      }
      json(
        response,
        200,
        this.catalog.securityGroups
          .filter((group) => group.name === `kube-${cluster}`)
          .map((group) => ({
            id: group.id,
            name: group.name,
            type: 'cluster',
            userProvided: false,
            shared: false,
          })),
      );
      return;
    }
    vpcError(response, 404, 'not_found', `no such API: ${method} ${path}`);
  }

  async #vpc(
    method: string,
    path: string,
    query: URLSearchParams,
    body: string,
    response: ServerResponse,
  ): Promise<void> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(query.get('version') ?? '')) {
      vpcError(response, 400, 'missing_version', 'The version query parameter is required (YYYY-MM-DD).');
      return;
    }
    if (query.get('generation') !== '2') {
      vpcError(response, 400, 'bad_generation', 'The generation query parameter must be 2.');
      return;
    }
    if (this.#throttle && !this.#throttle.take()) {
      this.#throttled++;
      response.setHeader('retry-after', '1');
      vpcError(response, 429, 'rate_limit_exceeded', 'Rate limit exceeded.');
      return;
    }
    const instance = /^\/instances\/([^/]+)$/.exec(path);
    const catalogGet =
      /^\/(instance\/profiles|images|subnets|dedicated_hosts|dedicated_host\/groups)\/([^/]+)$/.exec(path);
    if (method === 'POST' && path === '/instances') {
      this.#count('create instance');
      await this.#create(body, response);
    } else if (method === 'GET' && path === '/instances') {
      this.#count('list instances');
      this.#listInstances(query, response);
    } else if (method === 'GET' && instance) {
      this.#count('get instance');
      const found = this.#store.get(decodeURIComponent(instance[1]!));
      if (!found) vpcError(response, 404, 'not_found', `Instance not found: ${instance[1]}`);
      else json(response, 200, this.#store.view(found, true));
    } else if (method === 'DELETE' && instance) {
      this.#count('delete instance');
      if (consume(this.#faults, 'deleteServerErrors')) {
        vpcError(response, 500, 'internal_error', 'Internal error (injected).');
        return;
      }
      const deleted = await this.#store.delete(decodeURIComponent(instance[1]!));
      if (!deleted) vpcError(response, 404, 'not_found', `Instance not found: ${instance[1]}`);
      else response.writeHead(204).end();
    } else if (method === 'GET' && catalogGet) {
      this.#count(`get ${catalogGet[1]}`);
      const found = this.#store.catalogResource(catalogGet[1]!, decodeURIComponent(catalogGet[2]!));
      if (!found) vpcError(response, 404, 'not_found', `${catalogGet[1]} not found: ${catalogGet[2]}`);
      else json(response, 200, found);
    } else {
      vpcError(response, 404, 'not_found', `no such VPC API: ${method} ${path}`);
    }
  }

  async #create(body: string, response: ServerResponse): Promise<void> {
    const refusal = this.#faults.createRefusals;
    if (refusal && refusal.count > 0) {
      refusal.count--;
      vpcError(response, 400, refusal.code, refusal.message);
      return;
    }
    let prototype: unknown;
    try {
      prototype = JSON.parse(body);
    } catch {
      vpcError(response, 400, 'bad_request', 'The request body is not JSON.');
      return;
    }
    const checked = this.#store.check(prototype);
    if (typeof checked === 'string') {
      vpcError(response, 400, 'validation_invalid_argument', checked);
      return;
    }
    if (Buffer.byteLength(checked.user_data ?? '') > USER_DATA_MAX_BYTES) {
      vpcError(response, 400, 'validation_invalid_argument', 'user_data must be at most 65535 bytes.');
      return;
    }
    const onHost = this.catalog.dedicatedHosts.some((host) => host.id === checked.placement_target?.id);
    if (this.#faults.dedicatedHostFull && onHost) {
      vpcError(response, 400, 'dedicated_host_insufficient_capacity', 'The dedicated host has no room.');
      return;
    }
    const created = this.#store.create(checked);
    if (consume(this.#faults, 'createServerErrors')) {
      vpcError(response, 500, 'internal_error', 'Internal error (injected).');
      return;
    }
    this.#log(`created instance ${created.id} (${checked.name})`);
    json(response, 201, this.#store.view(created, false));
  }

  #listInstances(query: URLSearchParams, response: ServerResponse): void {
    const vpc = query.get('vpc.id');
    const name = query.get('name');
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
    const start = Number(query.get('start') ?? 0);
    const matching = this.#store
      .list()
      .filter(
        (instance) =>
          (!vpc || instance.prototype.vpc.id === vpc) && (!name || instance.prototype.name === name),
      );
    const page = matching.slice(start, start + limit);
    const base = `${this.url}/v1/instances?limit=${limit}${vpc ? `&vpc.id=${vpc}` : ''}`;
    json(response, 200, {
      instances: page.map((instance) => this.#store.view(instance, false)),
      limit,
      total_count: matching.length,
      first: { href: base },
      ...(start + limit < matching.length ? { next: { href: `${base}&start=${start + limit}` } } : {}),
    });
  }

  #attachTags(query: URLSearchParams, body: string, response: ServerResponse): void {
    if (consume(this.#faults, 'tagFailures')) {
      json(response, 400, { errors: [{ code: 'invalid_tag', message: 'The tag is not valid (injected).' }] });
      return;
    }
    if (query.get('tag_type') !== 'user') {
      json(response, 400, {
        errors: [{ code: 'bad_request', message: 'only user tags are supported here' }],
      });
      return;
    }
    const request = JSON.parse(body || '{}') as {
      resources?: { resource_id: string }[];
      tag_names?: string[];
    };
    const results = (request.resources ?? []).map(({ resource_id }) => {
      const instance = this.#store.list().find((candidate) => candidate.crn === resource_id);
      if (instance)
        for (const tag of request.tag_names ?? []) if (!instance.tags.includes(tag)) instance.tags.push(tag);
      return { resource_id, is_error: !instance };
    });
    json(response, 200, { results });
  }

  #count(call: string): void {
    this.#calls[call] = (this.#calls[call] ?? 0) + 1;
  }

  #answerControl(path: string, method: string, body: string, response: ServerResponse): void {
    if (method === 'GET' && path === '/_fake/inventory') json(response, 200, this.inventory());
    else if (method === 'GET' && path === '/_fake/counts') json(response, 200, this.counts());
    else if (method === 'PUT' && path === '/_fake/faults') {
      this.setFaults(JSON.parse(body || '{}') as IbmFaults);
      json(response, 200, {});
    } else json(response, 404, { error: `no such control call ${method} ${path}` });
  }
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(value));
}

/** VPC's error body: `errors[]` with code, message and more_info, and a trace id. */
function vpcError(response: ServerResponse, status: number, code: string, message: string): void {
  json(response, status, {
    errors: [
      { code, message, more_info: `https://cloud.ibm.com/docs/vpc?topic=vpc-rias-error-messages#${code}` },
    ],
    trace: randomUUID(),
    status_code: status,
  });
}

/** The ibmcloud provider's flags for a fake at `url`, by name: its endpoints, the catalog's zone, network, profile and images. */
export function ibmProviderFlags(
  url: string,
  catalog: IbmCatalog = DEFAULT_IBM_CATALOG,
): Record<string, string> {
  return {
    'iam-service-url': `${url}/identity/token`,
    'vpc-service-url': `${url}/v1`,
    'ibmcloud-tagging-endpoint': url,
    'ibmcloud-containers-endpoint': url,
    'zone-name': catalog.subnets[0]!.zone,
    'primary-subnet-id': catalog.subnets[0]!.id,
    'cluster-id': catalog.clusterId,
    'profile-name': catalog.profiles[0]!.name,
    'image-id': catalog.images.map((image) => image.id).join(','),
  };
}

/** The same as a command line. */
export function ibmProviderArgs(url: string, catalog: IbmCatalog = DEFAULT_IBM_CATALOG): string[] {
  return Object.entries(ibmProviderFlags(url, catalog)).flatMap(([flag, value]) => [`-${flag}`, value]);
}
