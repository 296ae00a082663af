import type { CloudApiObserver } from '@peerpods/providers';
import type { AuthenticatorInterface } from 'ibm-cloud-sdk-core';
import { IbmRestService } from './rest-service';

/** Global Tagging: user tags on a resource, by its CRN. */
export class TaggingClient {
  readonly #service: IbmRestService;

  constructor(serviceUrl: string, authenticator: AuthenticatorInterface, apiCalls?: CloudApiObserver) {
    this.#service = new IbmRestService(serviceUrl, authenticator, apiCalls);
  }

  async attach(crn: string, tagNames: readonly string[], signal?: AbortSignal): Promise<void> {
    const answer = await this.#service.call<{ results?: { resource_id: string; is_error?: boolean }[] }>({
      method: 'POST',
      path: '/v3/tags/attach',
      query: { tag_type: 'user' },
      body: { resources: [{ resource_id: crn }], tag_names: tagNames },
      signal,
    });
    // Attaching the same tags again changes nothing, so a retried POST is harmless; a per-resource
    // failure comes back as 200 with is_error, which upstream ignores and we do not.
    if (answer.result.results?.some((result) => result.is_error)) {
      throw new Error(`Global Tagging refused to attach tags to ${crn}`);
    }
  }

  /** The user tags attached to a resource. */
  async list(crn: string, signal?: AbortSignal): Promise<string[]> {
    const answer = await this.#service.call<{ items?: { name: string }[] }>({
      method: 'GET',
      path: '/v3/tags',
      query: { attached_to: crn, tag_type: 'user', limit: 1000 },
      signal,
    });
    return (answer.result.items ?? []).map((item) => item.name);
  }
}
