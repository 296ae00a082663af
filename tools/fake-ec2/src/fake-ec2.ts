import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlSocket, closeServer, readBody } from '@peerpods/fake-cloud-kit';
import { type Machines, PaperMachines, type PodVmHostSettings, PodVmMachines } from '@peerpods/pod-vm-host';
import { type ActionHandler, ec2Actions } from './actions';
import { DEFAULT_CATALOG, type FakeCatalog } from './catalog';
import { Ec2Error, internalError } from './ec2-error';
import { consume, type Ec2Faults } from './faults';
import { ec2Flavour, InstanceMetadataService } from './imds';
import { InstanceStore } from './instance-store';
import { QueryParams } from './query-params';
import { Ec2Throttle, type ThrottleSettings } from './throttle';
import { xmlError, xmlResponse } from './xml-response';

export interface FakeEc2Options {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  catalog?: FakeCatalog;
  /** Boot every instance as a pod VM; without it instances are records with addresses from 198.18.0.0/15. */
  podVms?: PodVmHostSettings;
  /**
   * Serve IMDSv2 on 127.0.0.1 (`workerMetadataUrl`) as the worker node's own metadata: what the aws
   * provider reads for options left empty. Region and zone are the catalog's.
   */
  workerMetadata?: { keyName: string; subnetId: string; securityGroupIds: string[] };
  /** Also serve the control API (`/_fake/*`) on this unix socket: reachable from any network namespace. */
  controlSocket?: string;
  /** Throttle at EC2's published rates (or these); off when absent. */
  throttle?: ThrottleSettings;
  faults?: Ec2Faults;
  log?: (message: string) => void;
}

/** One live (not yet terminated) instance, as the control API lists it. */
export interface LiveInstance {
  instanceId: string;
  state: string;
  name: string;
  privateIp: string;
  clientToken: string | undefined;
  tags: Record<string, string>;
  instanceType: string;
  imageId: string;
  amdSevSnp: boolean;
  rootVolumeGiB: number;
  userDataBytes: number;
}

export interface CallCounts {
  /** Requests per action, throttled and failed ones included. */
  calls: Record<string, number>;
  throttled: number;
  /** Access key ids the requests were signed with (which credentials the client chose). */
  accessKeys: string[];
}

/**
 * A fake of the EC2 Query API for tests and demos (not EC2, and not a complete one): the actions the
 * aws provider uses, XML answers and EC2 error codes, ClientToken idempotency, token-bucket
 * throttling and faults on request, and instances that really boot (see {@link PodVmMachines}).
 * `/_fake/*` is its control API: what exists, the faults, call counts.
 */
export class FakeEc2 {
  readonly #server: Server;
  #control: ControlSocket | undefined;
  #workerImds: InstanceMetadataService | undefined;
  readonly #store: InstanceStore;
  readonly #catalog: FakeCatalog;
  readonly #actions: Record<string, ActionHandler>;
  #faults: Ec2Faults;
  #throttle: Ec2Throttle | undefined;
  readonly #calls: Record<string, number> = {};
  readonly #accessKeys = new Set<string>();
  readonly #log: (message: string) => void;

  private constructor(options: FakeEc2Options, machines: Machines) {
    const catalog = options.catalog ?? DEFAULT_CATALOG;
    this.#catalog = catalog;
    this.#log = options.log ?? (() => {});
    this.#faults = structuredClone(options.faults ?? {});
    this.#throttle = options.throttle ? new Ec2Throttle(options.throttle) : undefined;
    this.#store = new InstanceStore(catalog, machines, () => this.#faults, this.#log);
    this.#actions = ec2Actions(this.#store, catalog);
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#log(`request failed: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  }

  static async start(options: FakeEc2Options = {}): Promise<FakeEc2> {
    const catalog = options.catalog ?? DEFAULT_CATALOG;
    const machines = options.podVms
      ? await PodVmMachines.start(options.podVms, ec2Flavour(catalog))
      : new PaperMachines();
    const fake = new FakeEc2(options, machines);
    try {
      await new Promise<void>((resolve, reject) => {
        fake.#server.once('error', reject);
        fake.#server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, resolve);
      });
      if (options.workerMetadata) {
        const worker = {
          instanceId: 'i-0fa4ce0b6a7e1c0ff',
          privateIp: '127.0.0.1',
          userData: '',
          region: catalog.region,
          availabilityZone: catalog.availabilityZone,
          mac: '0a:fa:4c:e0:b6:a7',
          ...options.workerMetadata,
        };
        fake.#workerImds = await InstanceMetadataService.listen('127.0.0.1', () => worker);
      }
      if (options.controlSocket) {
        fake.#control = await ControlSocket.listen(options.controlSocket, (path, method, body, response) =>
          fake.#answerControl(path, method, body, response),
        );
      }
    } catch (error) {
      fake.#server.close();
      await fake.#workerImds?.close();
      await machines.close().catch(() => {});
      throw error;
    }
    return fake;
  }

  /** The endpoint to give the SDK (`-aws-endpoint`). */
  get url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /**
   * The aws provider's environment for this fake: its endpoint and the catalog's region, image,
   * subnet, security group and key pair (credentials are the caller's to choose).
   */
  clientEnv(): Record<string, string> {
    return {
      AWS_REGION: this.#catalog.region,
      AWS_ENDPOINT_URL: this.url,
      PODVM_AMI_ID: this.#catalog.images[0]!.imageId,
      AWS_SUBNET_ID: this.#catalog.subnets[0]!,
      AWS_SG_IDS: this.#catalog.securityGroups[0]!,
      SSH_KP_NAME: this.#catalog.keyPairs[0]!,
    };
  }

  /** With `workerMetadata`: the endpoint (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) of the worker's IMDS. */
  get workerMetadataUrl(): string | undefined {
    return this.#workerImds && `http://127.0.0.1:${this.#workerImds.port}`;
  }

  /** Instances not yet terminated: empty after a clean run. */
  live(): LiveInstance[] {
    return this.#store.live().map((instance) => ({
      instanceId: instance.instanceId,
      state: instance.state,
      name: instance.machine.name,
      privateIp: instance.privateIp,
      clientToken: instance.clientToken,
      tags: { ...instance.spec.tags },
      instanceType: instance.spec.instanceType,
      imageId: instance.spec.imageId,
      amdSevSnp: instance.spec.amdSevSnp,
      rootVolumeGiB: instance.spec.rootVolumeGiB,
      userDataBytes: Buffer.byteLength(instance.spec.userData),
    }));
  }

  /** Waits until no instance is shutting down (termination is asynchronous, as on EC2). */
  async settled(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.#store.live().some((instance) => instance.state === 'shutting-down') && Date.now() < until) {
      await sleep(20);
    }
  }

  setFaults(faults: Ec2Faults): void {
    this.#faults = structuredClone(faults);
  }

  setThrottle(settings: ThrottleSettings | undefined): void {
    this.#throttle = settings ? new Ec2Throttle(settings) : undefined;
  }

  counts(): CallCounts {
    return {
      calls: { ...this.#calls },
      throttled: this.#throttle?.throttledCount ?? 0,
      accessKeys: [...this.#accessKeys],
    };
  }

  /** Terminates everything, stops the pod VMs and removes the bridge, then stops serving. */
  async stop(): Promise<void> {
    await this.#workerImds?.close();
    await closeServer(this.#server);
    await this.#control?.close();
    await this.#store.close();
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = (request.url ?? '/').split('?')[0]!;
    if (path.startsWith('/_fake/')) {
      this.#answerControl(path, request.method ?? 'GET', body, response);
      return;
    }
    const requestId = randomUUID();
    const params = new QueryParams(body);
    const action = params.action;
    this.#calls[action] = (this.#calls[action] ?? 0) + 1;
    const send = (status: number, xml: string) =>
      response
        .writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId })
        .end(xml);
    try {
      if (request.method !== 'POST')
        throw new Ec2Error('InvalidAction', 'The fake takes POST requests only.');
      // The signature is not checked (the fake has no secret keys), but a request must be signed.
      const authorization = String(request.headers.authorization ?? '');
      if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) {
        throw new Ec2Error(
          'AuthFailure',
          'AWS was not able to validate the provided access credentials',
          401,
        );
      }
      // The access key id is not secret (it names the key); the signature is not kept.
      const keyId = /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
      if (keyId) this.#accessKeys.add(keyId);
      const handler = this.#actions[action];
      if (!handler)
        throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      const delay = this.#faults.delays?.[action];
      if (delay) await sleep(delay);
      this.#throttle?.charge(action, params);
      if (consume(this.#faults.internalErrors, action)) throw internalError();
      const result = handler(params);
      if (action === 'RunInstances' && (this.#faults.failAfterRunInstances ?? 0) > 0) {
        this.#faults.failAfterRunInstances! -= 1;
        throw internalError();
      }
      send(200, xmlResponse(action, requestId, result));
    } catch (error) {
      if (!(error instanceof Ec2Error)) throw error;
      this.#log(`${action || '(no action)'}: ${error.code}: ${error.message}`);
      send(error.status, xmlError(error, requestId));
    }
  }

  #answerControl(path: string, method: string, body: string, response: ServerResponse): void {
    const json = (status: number, value: unknown): void => {
      response
        .writeHead(status, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(value, null, 2)}\n`);
    };
    if (method === 'GET' && path === '/_fake/instances') {
      json(200, this.live());
      return;
    }
    if (method === 'GET' && path === '/_fake/counts') {
      json(200, this.counts());
      return;
    }
    if (method === 'GET' && path === '/_fake/faults') {
      json(200, this.#faults);
      return;
    }
    if (method === 'PUT' && path === '/_fake/faults') {
      try {
        this.setFaults(JSON.parse(body) as Ec2Faults);
      } catch (error) {
        json(400, { error: `faults: ${(error as Error).message}` });
        return;
      }
      json(200, this.#faults);
      return;
    }
    json(404, {
      error: `no ${method} ${path}; try GET /_fake/instances, /_fake/counts, GET or PUT /_fake/faults`,
    });
  }
}
