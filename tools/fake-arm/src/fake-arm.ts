import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlSocket, closeServer, readBody } from '@peerpods/fake-cloud-kit';
import { type Machines, PaperMachines, type PodVmHostSettings, PodVmMachines } from '@peerpods/pod-vm-host';
import { CertificateAuthority } from '@peerpods/tls';
import { ArmError } from './arm-error';
import { dependentJson, sizeJson, vmJson } from './arm-json';
import { ArmResources, type DependentResource } from './arm-resources';
import { ArmThrottle, type ArmThrottleSettings } from './arm-throttle';
import { AZURE_FLAVOUR } from './azure-imds';
import { type ArmCatalog, DEFAULT_ARM_CATALOG } from './catalog';
import { type ArmFaults, consume } from './faults';
import { TokenEndpoint } from './token-endpoint';
import { vmSpec } from './vm-spec';

export interface FakeArmOptions {
  host?: string;
  port?: number;
  catalog?: ArmCatalog;
  /** Boot every VM as a pod VM; without it VMs are records with addresses from 198.18.0.0/15. */
  podVms?: PodVmHostSettings;
  throttle?: ArmThrottleSettings;
  faults?: ArmFaults;
  /** Also serve the control API (`/_fake/*`) on this unix socket, over plain HTTP. */
  controlSocket?: string;
  log?: (message: string) => void;
}

/** What exists in the fake resource group: the leak check reads it. */
export interface ArmInventory {
  vms: {
    name: string;
    state: string;
    privateIp: string | undefined;
    tags: Record<string, string>;
    vmSize: string;
    securityType: string | undefined;
    userDataBytes: number;
    sshKeys: string[];
  }[];
  networkInterfaces: string[];
  disks: string[];
  publicIPAddresses: string[];
}

const VM =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;
const VMS =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines$/i;
const SIZES = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/vmSizes$/i;
const OPERATION =
  /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;
const DEPENDENT =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.(?:Network|Compute)\/(networkInterfaces|publicIPAddresses|disks)\/([^/]+)$/i;

/**
 * A fake of Azure Resource Manager for tests and demos (not Azure): the compute and network calls
 * the azure provider makes, as JSON with `api-version`, 201/202 with Azure-AsyncOperation and
 * Location polling, ARM's error bodies and 429 + Retry-After throttling, over HTTPS with its own
 * test CA (the Azure SDK sends bearer tokens over TLS only); and Entra ID's token endpoint on the
 * same port. VMs really boot (see PodVmMachines) and fetch user-data from Azure's IMDS.
 */
export class FakeArm {
  readonly ca: CertificateAuthority;
  readonly #server: Server;
  #control: ControlSocket | undefined;
  readonly #resources: ArmResources;
  readonly #tokens: TokenEndpoint;
  readonly #catalog: ArmCatalog;
  #faults: ArmFaults;
  #throttle: ArmThrottle | undefined;
  readonly #calls: Record<string, number> = {};
  readonly #log: (message: string) => void;

  private constructor(
    options: FakeArmOptions,
    machines: Machines,
    ca: CertificateAuthority,
    tls: { cert: string; key: string },
  ) {
    this.ca = ca;
    this.#catalog = options.catalog ?? DEFAULT_ARM_CATALOG;
    this.#log = options.log ?? (() => {});
    this.#faults = structuredClone(options.faults ?? {});
    this.#throttle = options.throttle ? new ArmThrottle(options.throttle) : undefined;
    this.#resources = new ArmResources(this.#catalog, machines, () => this.#faults, this.#log);
    this.#tokens = new TokenEndpoint(() => this.url);
    this.#server = createHttpsServer({ cert: tls.cert, key: tls.key }, (request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#log(`request failed: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  }

  static async start(options: FakeArmOptions = {}): Promise<FakeArm> {
    const host = options.host ?? '127.0.0.1';
    const ca = await CertificateAuthority.create({
      commonName: 'peerpods fake-arm test CA',
      validityDays: 7,
    });
    const pair = await ca.issueServerCertificate('localhost', { ipAddresses: [host] });
    const machines = options.podVms
      ? await PodVmMachines.start(options.podVms, AZURE_FLAVOUR)
      : new PaperMachines();
    const fake = new FakeArm(options, machines, ca, { cert: pair.certPem, key: pair.keyPem });
    try {
      await new Promise<void>((resolve, reject) => {
        fake.#server.once('error', reject);
        fake.#server.listen({ host, port: options.port ?? 0 }, resolve);
      });
      if (options.controlSocket) {
        fake.#control = await ControlSocket.listen(options.controlSocket, (path, method, body, response) =>
          fake.#answerControl(path, method, body, response),
        );
      }
    } catch (error) {
      fake.#server.close();
      await machines.close().catch(() => {});
      throw error;
    }
    return fake;
  }

  /** ARM's endpoint and also Entra ID's authority host (`https://127.0.0.1:PORT`). */
  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** The azure provider's environment for this fake: endpoints and the catalog's scope, network and image. */
  clientEnv(): Record<string, string> {
    const catalog = this.#catalog;
    return {
      AZURE_TENANT_ID: catalog.tenantId,
      AZURE_SUBSCRIPTION_ID: catalog.subscriptionId,
      AZURE_REGION: catalog.region,
      AZURE_RESOURCE_GROUP: catalog.resourceGroup,
      AZURE_SUBNET_ID: catalog.subnets[0]!,
      AZURE_IMAGE_ID: catalog.images[0]!,
      AZURE_ARM_ENDPOINT: this.url,
      AZURE_AUTHORITY_HOST: this.url,
    };
  }

  get catalog(): ArmCatalog {
    return this.#catalog;
  }

  inventory(): ArmInventory {
    const dependents = (kind: DependentResource['kind']) =>
      [...this.#resources.dependents.values()]
        .filter((d) => d.kind === kind)
        .map((d) => d.name)
        .sort();
    return {
      vms: [...this.#resources.vms.values()].map((vm) => ({
        name: vm.spec.name,
        state: vm.state,
        privateIp: vm.machine?.privateIp,
        tags: { ...vm.spec.tags },
        vmSize: vm.spec.vmSize,
        securityType: vm.spec.securityType,
        userDataBytes: Buffer.byteLength(vm.spec.userData),
        sshKeys: vm.spec.sshKeys.map((key) => key.keyData),
      })),
      networkInterfaces: dependents('networkInterfaces'),
      disks: dependents('disks'),
      publicIPAddresses: dependents('publicIPAddresses'),
    };
  }

  /** True when nothing at all is left: no VM, NIC, disk or public IP. */
  empty(): boolean {
    const inventory = this.inventory();
    return (
      inventory.vms.length +
        inventory.networkInterfaces.length +
        inventory.disks.length +
        inventory.publicIPAddresses.length ===
      0
    );
  }

  async settled(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (
      [...this.#resources.operations.values()].some((op) => op.status === 'InProgress') &&
      Date.now() < until
    ) {
      await sleep(20);
    }
  }

  setFaults(faults: ArmFaults): void {
    this.#faults = structuredClone(faults);
  }

  counts(): { calls: Record<string, number>; throttled: number; tokens: number; assertionTokens: number } {
    return {
      calls: { ...this.#calls },
      throttled: this.#throttle?.throttledCount ?? 0,
      tokens: this.#tokens.issued,
      assertionTokens: this.#tokens.forAssertions,
    };
  }

  async stop(): Promise<void> {
    await closeServer(this.#server);
    await this.#control?.close();
    await this.#resources.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const path = url.pathname;
    if (path.startsWith('/_fake/')) {
      this.#answerControl(path, method, body, response);
      return;
    }
    if (this.#tokens.handle(method, path, body, response)) return;
    try {
      const result = await this.#arm(method, path, url, body, String(request.headers.authorization ?? ''));
      response.writeHead(result.status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': crypto.randomUUID(),
        ...result.headers,
      });
      response.end(result.body === undefined ? undefined : JSON.stringify(result.body));
    } catch (error) {
      if (!(error instanceof ArmError)) throw error;
      this.#log(`${method} ${path}: ${error.status} ${error.code}`);
      response.writeHead(error.status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-error-code': error.code,
        ...(error.retryAfter !== undefined ? { 'retry-after': String(error.retryAfter) } : {}),
      });
      response.end(error.body());
    }
  }

  async #arm(
    method: string,
    path: string,
    url: URL,
    body: string,
    authorization: string,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    if (!token)
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
      );
    if (!this.#tokens.tokens.has(token)) {
      throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    const kind = routeKind(method, path);
    this.#calls[kind] = (this.#calls[kind] ?? 0) + 1;
    this.#throttle?.charge(method);
    if (consume(this.#faults.internalErrors, kind)) {
      throw new ArmError(
        500,
        'InternalServerError',
        'Encountered internal server error. Diagnostic information: fake.',
      );
    }
    const { subscriptionId, resourceGroup, region } = this.#catalog;
    const checkScope = (subscription: string, group?: string) => {
      if (subscription.toLowerCase() !== subscriptionId) {
        throw new ArmError(
          404,
          'SubscriptionNotFound',
          `The subscription '${subscription}' could not be found.`,
        );
      }
      if (group !== undefined && group.toLowerCase() !== resourceGroup) {
        throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
      }
    };
    const operationUrl = (id: string) =>
      `${this.url}/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${region}/operations/${id}?api-version=${apiVersion}`;

    let match = VM.exec(path);
    if (match) {
      checkScope(match[1]!, match[2]!);
      const name = decodeURIComponent(match[3]!);
      if (method === 'PUT') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new ArmError(
            400,
            'InvalidRequestContent',
            'The request content was invalid and could not be deserialized.',
          );
        }
        const spec = vmSpec(name, parsed, this.#catalog);
        const failAfterNic = (this.#faults.failAfterNic ?? 0) > 0;
        if (failAfterNic) this.#faults.failAfterNic! -= 1;
        const operation = this.#resources.create(spec, failAfterNic);
        const vm = this.#resources.vms.get(name.toLowerCase())!;
        return {
          status: 201,
          body: vmJson(vm, this.#resources),
          headers: { 'azure-asyncoperation': operationUrl(operation.id), 'retry-after': '0' },
        };
      }
      const vm = this.#resources.vms.get(name.toLowerCase());
      if (method === 'GET') {
        if (!vm)
          throw new ArmError(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${resourceGroup}' was not found.`,
          );
        return { status: 200, body: vmJson(vm, this.#resources) };
      }
      if (method === 'DELETE') {
        // ARM answers a delete of what does not exist with 204: gone is gone.
        if (!vm) return { status: 204 };
        const operation = this.#resources.delete(name);
        return {
          status: 202,
          headers: {
            'azure-asyncoperation': operationUrl(operation.id),
            location: operationUrl(operation.id),
            'retry-after': '0',
          },
        };
      }
    }
    match = VMS.exec(path);
    if (match && method === 'GET') {
      checkScope(match[1]!, match[2]!);
      return {
        status: 200,
        body: { value: [...this.#resources.vms.values()].map((vm) => vmJson(vm, this.#resources)) },
      };
    }
    match = SIZES.exec(path);
    if (match && method === 'GET') {
      checkScope(match[1]!);
      return { status: 200, body: { value: this.#catalog.sizes.map(sizeJson) } };
    }
    match = OPERATION.exec(path);
    if (match && method === 'GET') {
      const operation = this.#resources.operations.get(match[3]!);
      if (!operation) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      return {
        status: 200,
        body: {
          name: operation.id,
          status: operation.status,
          ...(operation.error ? { error: operation.error } : {}),
        },
        headers: operation.status === 'InProgress' ? { 'retry-after': '0' } : {},
      };
    }
    match = DEPENDENT.exec(path);
    if (match) {
      checkScope(match[1]!, match[2]!);
      const kind = match[3] as DependentResource['kind'];
      const name = decodeURIComponent(match[4]!);
      if (method === 'GET')
        return {
          status: 200,
          body: dependentJson(this.#resources.dependent(kind, name), this.#catalog, this.#resources),
        };
      if (method === 'DELETE') {
        try {
          return { status: this.#resources.deleteDependent(kind, name) ? 200 : 204 };
        } catch (error) {
          const vm = (error as { vm?: string }).vm;
          throw new ArmError(
            400,
            'InUseByVirtualMachine',
            `${kind} ${name} is in use by virtual machine ${vm} and cannot be deleted.`,
          );
        }
      }
    }
    throw new ArmError(404, 'NotFound', `The fake has no ${method} ${path}.`);
  }

  #answerControl(path: string, method: string, body: string, response: ServerResponse): void {
    const json = (status: number, value: unknown): void => {
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(value, null, 2)}\n`);
    };
    if (method === 'GET' && path === '/_fake/resources') {
      json(200, this.inventory());
      return;
    }
    if (method === 'GET' && path === '/_fake/counts') {
      json(200, this.counts());
      return;
    }
    if (method === 'GET' && path === '/_fake/ca') {
      response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.ca.certPem);
      return;
    }
    if (method === 'PUT' && path === '/_fake/faults') {
      try {
        this.setFaults(JSON.parse(body) as ArmFaults);
      } catch (error) {
        json(400, { error: `faults: ${(error as Error).message}` });
        return;
      }
      json(200, this.#faults);
      return;
    }
    json(404, {
      error: `no ${method} ${path}; try GET /_fake/resources, /_fake/counts, /_fake/ca, PUT /_fake/faults`,
    });
  }
}

/** The kind of an ARM call, for counts and `internalErrors`: `PUT vm`, `GET nic`, ... */
function routeKind(method: string, path: string): string {
  if (VM.test(path)) return `${method} vm`;
  if (VMS.test(path)) return `${method} vms`;
  if (SIZES.test(path)) return `${method} sizes`;
  if (OPERATION.test(path)) return `${method} operation`;
  const dependent = DEPENDENT.exec(path)?.[3];
  if (dependent)
    return `${method} ${dependent === 'networkInterfaces' ? 'nic' : dependent === 'disks' ? 'disk' : 'publicip'}`;
  return `${method} other`;
}
