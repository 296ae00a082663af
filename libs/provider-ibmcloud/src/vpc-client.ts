import type { CloudApiObserver } from '@peerpods/providers';
import type { AuthenticatorInterface } from 'ibm-cloud-sdk-core';
import { IbmRestService } from './rest-service';
import {
  type Image,
  type InstanceCollection,
  type InstanceProfile,
  type InstancePrototype,
  type Subnet,
  VPC_API_VERSION,
  type VpcInstance,
  type ZonedResource,
} from './vpc-types';

const PAGE_LIMIT = 100;

/** The VPC API calls the provider makes, and no others; typed by ./vpc-types. */
export class VpcClient {
  readonly #service: IbmRestService;

  constructor(serviceUrl: string, authenticator: AuthenticatorInterface, apiCalls?: CloudApiObserver) {
    this.#service = new IbmRestService(serviceUrl, authenticator, apiCalls);
  }

  #query(extra: Record<string, string | number> = {}): Record<string, string | number> {
    return { version: VPC_API_VERSION, generation: 2, ...extra };
  }

  async #get<T>(path: string, id: string, signal?: AbortSignal): Promise<T> {
    const answer = await this.#service.call<T>({
      method: 'GET',
      path,
      pathParams: { id },
      query: this.#query(),
      signal,
    });
    return answer.result;
  }

  async createInstance(prototype: InstancePrototype, signal?: AbortSignal): Promise<VpcInstance> {
    const answer = await this.#service.call<VpcInstance>({
      method: 'POST',
      path: '/instances',
      query: this.#query(),
      body: prototype,
      signal,
      // VPC has no idempotency token: after a 5xx the instance may exist, so only 429 is retried.
      retryThrottlingOnly: true,
    });
    return answer.result;
  }

  getInstance(id: string, signal?: AbortSignal): Promise<VpcInstance> {
    return this.#get('/instances/{id}', id, signal);
  }

  async deleteInstance(id: string, signal?: AbortSignal): Promise<void> {
    await this.#service.call({
      method: 'DELETE',
      path: '/instances/{id}',
      pathParams: { id },
      query: this.#query(),
      signal,
    });
  }

  /** The instance of this name, if any: names are unique in a VPC. */
  async findInstanceByName(
    vpcId: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<VpcInstance | undefined> {
    const answer = await this.#service.call<InstanceCollection>({
      method: 'GET',
      path: '/instances',
      query: this.#query({ 'vpc.id': vpcId, name }),
      signal,
    });
    return answer.result.instances.find((instance) => instance.name === name);
  }

  /** Every instance in the VPC, following `next` page by page. */
  async listInstances(vpcId: string, signal?: AbortSignal): Promise<VpcInstance[]> {
    const instances: VpcInstance[] = [];
    let start: string | undefined;
    for (;;) {
      const answer = await this.#service.call<InstanceCollection>({
        method: 'GET',
        path: '/instances',
        query: this.#query({ 'vpc.id': vpcId, limit: PAGE_LIMIT, ...(start ? { start } : {}) }),
        signal,
      });
      instances.push(...answer.result.instances);
      const next = answer.result.next?.href;
      start = next ? (new URL(next).searchParams.get('start') ?? undefined) : undefined;
      if (!start) return instances;
    }
  }

  getInstanceProfile(name: string, signal?: AbortSignal): Promise<InstanceProfile> {
    return this.#get('/instance/profiles/{id}', name, signal);
  }

  getImage(id: string, signal?: AbortSignal): Promise<Image> {
    return this.#get('/images/{id}', id, signal);
  }

  getSubnet(id: string, signal?: AbortSignal): Promise<Subnet> {
    return this.#get('/subnets/{id}', id, signal);
  }

  getDedicatedHost(id: string, signal?: AbortSignal): Promise<ZonedResource> {
    return this.#get('/dedicated_hosts/{id}', id, signal);
  }

  getDedicatedHostGroup(id: string, signal?: AbortSignal): Promise<ZonedResource> {
    return this.#get('/dedicated_host/groups/{id}', id, signal);
  }
}
