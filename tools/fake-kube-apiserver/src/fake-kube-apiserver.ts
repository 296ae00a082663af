import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonPatch, { type Operation } from 'fast-json-patch';
import { applyMergePatch } from './merge-patch';

/** A Kubernetes object as the API stores it: kind, apiVersion and metadata, the rest free-form. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generateName?: string;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: unknown[];
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The resources the fake serves, by the path segment after the (namespace) prefix. */
const RESOURCES = {
  nodes: { group: '', namespaced: false, kind: 'Node', apiVersion: 'v1' },
  pods: { group: '', namespaced: true, kind: 'Pod', apiVersion: 'v1' },
  serviceaccounts: { group: '', namespaced: true, kind: 'ServiceAccount', apiVersion: 'v1' },
  secrets: { group: '', namespaced: true, kind: 'Secret', apiVersion: 'v1' },
  peerpods: {
    group: 'confidentialcontainers.org',
    namespaced: true,
    kind: 'PeerPod',
    apiVersion: 'confidentialcontainers.org/v1alpha1',
  },
} as const;
type Resource = keyof typeof RESOURCES;

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'watch'];

/** Discovery, as kubectl reads it before any request: which groups, versions and resources exist. */
function discovery(path: string): unknown {
  const resourceList = (groupVersion: string, group: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: Object.entries(RESOURCES)
      .filter(([, spec]) => spec.group === group)
      .flatMap(([name, spec]) => [
        {
          name,
          singularName: spec.kind.toLowerCase(),
          namespaced: spec.namespaced,
          kind: spec.kind,
          verbs: VERBS,
        },
        ...(name === 'nodes'
          ? [
              {
                name: 'nodes/status',
                singularName: '',
                namespaced: false,
                kind: 'Node',
                verbs: ['get', 'patch'],
              },
            ]
          : []),
      ]),
  });
  const peerPodsVersion = { groupVersion: 'confidentialcontainers.org/v1alpha1', version: 'v1alpha1' };
  switch (path) {
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'confidentialcontainers.org',
            versions: [peerPodsVersion],
            preferredVersion: peerPodsVersion,
          },
        ],
      };
    case '/api/v1':
      return resourceList('v1', '');
    case '/apis/confidentialcontainers.org/v1alpha1':
      return resourceList('confidentialcontainers.org/v1alpha1', 'confidentialcontainers.org');
    default:
      return undefined;
  }
}

/** An open watch: its stream, and which objects it follows. */
interface Watcher {
  resource: Resource;
  namespace?: string;
  /** From `fieldSelector=metadata.name=<name>`, the one selector the fake understands. */
  name?: string;
  response: ServerResponse;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A fake kube-apiserver on 127.0.0.1: the REST/JSON wire format of the core and custom-resource
 * endpoints cloud-api-adaptor uses (get, create, list, delete; JSON patch, merge patch and strategic
 * merge patch, the latter taken as a merge patch), with Kubernetes' `Status` errors, resource
 * versions, generateName and the status subresource of nodes. Plain HTTP, any bearer token. A fake,
 * for tests: it keeps objects in memory and checks no RBAC.
 */
export class FakeKubeApiserver {
  readonly #objects = new Map<string, KubeObject>();
  readonly #server: Server;
  #version = 1;
  readonly #watchers = new Set<Watcher>();
  #uid = 0;
  /** Answer every watch 403 Forbidden, as RBAC without the `watch` verb does. */
  forbidWatches = false;
  /** Every request, `METHOD path content-type`, for tests that check what the client sent. */
  readonly requests: string[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  /**
   * On 127.0.0.1 (a free port), or on a unix socket: a relay in another network namespace can reach
   * that one (see tools/local-demo's apiserver in the worker).
   */
  static async start(options: { socketPath?: string } = {}): Promise<FakeKubeApiserver> {
    let fake!: FakeKubeApiserver;
    const server = createServer((request, response) => fake.#handle(request, response));
    fake = new FakeKubeApiserver(server);
    await new Promise<void>((resolve) =>
      options.socketPath
        ? server.listen(options.socketPath, resolve)
        : server.listen(0, '127.0.0.1', resolve),
    );
    return fake;
  }

  /** Its http://127.0.0.1:<port> URL (TCP only). */
  get url(): string {
    const address = this.#server.address();
    if (typeof address === 'string' || address === null) throw new Error('the fake listens on a unix socket');
    return `http://127.0.0.1:${(address as AddressInfo).port}`;
  }

  /** A kubeconfig (YAML is a JSON superset) that points at this fake, or at `server` (a relay to it). */
  kubeconfig(server = this.url): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // The client refuses plain HTTP unless TLS verification is off: there is no TLS to verify.
      clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: 'fake-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    });
  }

  async stop(): Promise<void> {
    this.breakWatches();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Stores an object as a test fixture (kind and apiVersion filled in from the resource). */
  put(resource: Resource, object: KubeObject): KubeObject {
    const stored = this.#stamp(resource, structuredClone(object));
    const key = this.#key(resource, stored.metadata?.namespace, stored.metadata!.name!);
    const type = this.#objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.#objects.set(key, stored);
    this.#notify(resource, type, stored);
    return structuredClone(stored);
  }

  /** Removes an object, as a DELETE would (watchers see DELETED). */
  delete(resource: Resource, name: string, namespace?: string): KubeObject | undefined {
    const key = this.#key(resource, namespace, name);
    const object = this.#objects.get(key);
    if (!object) return undefined;
    this.#objects.delete(key);
    this.#notify(resource, 'DELETED', object);
    return structuredClone(object);
  }

  /** How many watches are open now. */
  get watchCount(): number {
    return this.#watchers.size;
  }

  /** Ends every open watch, as an apiserver restart (or its watch timeout) does. */
  breakWatches(): void {
    for (const watcher of this.#watchers) watcher.response.end();
    this.#watchers.clear();
  }

  #notify(resource: Resource, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    for (const watcher of this.#watchers) {
      if (watcher.resource !== resource) continue;
      if (watcher.namespace !== undefined && watcher.namespace !== object.metadata?.namespace) continue;
      if (watcher.name !== undefined && watcher.name !== object.metadata?.name) continue;
      watcher.response.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  /** `?watch=true`: the objects that exist now as ADDED, then every change, one JSON event per line. */
  #watch(url: URL, response: ServerResponse): void {
    const { resource, namespace, name } = this.#locate(url);
    if (this.forbidWatches)
      throw new ApiError(
        403,
        'Forbidden',
        `${resource} is forbidden: User "system:serviceaccount:fake:fake" cannot watch resource "${resource}"`,
      );
    if (name !== undefined) throw new ApiError(405, 'MethodNotAllowed', 'watch a list, not one object');
    const selector = url.searchParams.get('fieldSelector') ?? '';
    const byName = /^metadata\.name=(.+)$/.exec(selector);
    if (selector !== '' && !byName)
      throw new ApiError(400, 'BadRequest', `the fake understands only fieldSelector=metadata.name=<name>`);
    const watcher: Watcher = { resource, namespace, name: byName?.[1], response };
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    for (const object of this.list(resource, namespace)) {
      if (watcher.name === undefined || watcher.name === object.metadata?.name)
        response.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    }
    this.#watchers.add(watcher);
    response.on('close', () => this.#watchers.delete(watcher));
  }

  get(resource: Resource, name: string, namespace?: string): KubeObject | undefined {
    const object = this.#objects.get(this.#key(resource, namespace, name));
    return object && structuredClone(object);
  }

  list(resource: Resource, namespace?: string): KubeObject[] {
    const prefix =
      RESOURCES[resource].namespaced && namespace !== undefined
        ? `${resource}/${namespace}/`
        : `${resource}/`;
    return [...this.#objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, object]) => structuredClone(object));
  }

  #key(resource: Resource, namespace: string | undefined, name: string): string {
    return RESOURCES[resource].namespaced ? `${resource}/${namespace ?? ''}/${name}` : `${resource}/${name}`;
  }

  #stamp(resource: Resource, object: KubeObject): KubeObject {
    const { kind, apiVersion } = RESOURCES[resource];
    object.kind = kind;
    object.apiVersion = apiVersion;
    object.metadata ??= {};
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    if (!object.metadata.name)
      throw new ApiError(422, 'Invalid', `${kind} "": metadata.name: Required value`);
    object.metadata.uid ??= `00000000-0000-4000-8000-${String(++this.#uid).padStart(12, '0')}`;
    object.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata.resourceVersion = String(++this.#version);
    return object;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    this.requests.push(`${request.method} ${request.url} ${contentType}`.trim());
    try {
      const url = new URL(request.url ?? '/', 'http://fake');
      const described = request.method === 'GET' ? discovery(url.pathname.replace(/\/$/, '')) : undefined;
      if (described) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(described));
        return;
      }
      const watch = url.searchParams.get('watch');
      if (request.method === 'GET' && (watch === 'true' || watch === '1')) {
        this.#watch(url, response);
        return;
      }
      const result = this.#route(request.method ?? 'GET', url, contentType, Buffer.concat(chunks));
      response
        .writeHead(result.code, { 'content-type': 'application/json' })
        .end(JSON.stringify(result.body));
    } catch (error) {
      const failure =
        error instanceof ApiError ? error : new ApiError(500, 'InternalError', (error as Error).message);
      response.writeHead(failure.code, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: failure.message,
          reason: failure.reason,
          code: failure.code,
        }),
      );
    }
  }

  /** `/api/v1/[namespaces/NS/]RESOURCE[/NAME[/status]]` or `/apis/GROUP/VERSION/[namespaces/NS/]...`. */
  #locate(url: URL): { resource: Resource; namespace?: string; name?: string; subresource?: string } {
    const parts = url.pathname.split('/').filter(Boolean);
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') rest = parts.slice(2);
    else if (parts[0] === 'apis' && parts[1] === 'confidentialcontainers.org' && parts[2] === 'v1alpha1')
      rest = parts.slice(3);
    else
      throw new ApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${url.pathname})`,
      );
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = rest[0] as Resource;
    const spec = RESOURCES[resource];
    if (
      !spec ||
      spec.namespaced !== (namespace !== undefined) ||
      (spec.group !== '') !== (parts[0] === 'apis')
    )
      throw new ApiError(
        404,
        'NotFound',
        `the server could not find the requested resource (${url.pathname})`,
      );
    return { resource, namespace, name: rest[1], subresource: rest[2] };
  }

  #route(method: string, url: URL, contentType: string, body: Buffer): { code: number; body: unknown } {
    const { resource, namespace, name, subresource } = this.#locate(url);
    const spec = RESOURCES[resource];
    if (subresource !== undefined && !(subresource === 'status' && resource === 'nodes'))
      throw new ApiError(404, 'NotFound', `no subresource ${subresource} for ${resource}`);
    const notFound = () => new ApiError(404, 'NotFound', `${resource} "${name}" not found`);

    if (name === undefined) {
      if (method === 'GET')
        return {
          code: 200,
          body: {
            kind: `${spec.kind}List`,
            apiVersion: spec.apiVersion,
            metadata: { resourceVersion: String(this.#version) },
            items: this.list(resource, namespace),
          },
        };
      if (method === 'POST') {
        const object = parseJson(body) as KubeObject;
        if (namespace !== undefined) {
          object.metadata ??= {};
          object.metadata.namespace = namespace;
        }
        const existing = object.metadata?.name && this.get(resource, object.metadata.name, namespace);
        if (existing)
          throw new ApiError(409, 'AlreadyExists', `${resource} "${object.metadata!.name}" already exists`);
        return { code: 201, body: this.put(resource, object) };
      }
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${resource}`);
    }
    const current = this.get(resource, name, namespace);
    if (method === 'GET') {
      if (!current) throw notFound();
      return { code: 200, body: current };
    }
    if (method === 'DELETE') {
      if (!current) throw notFound();
      this.delete(resource, name, namespace);
      return { code: 200, body: current };
    }
    if (method === 'PATCH') {
      if (!current) throw notFound();
      const patch = parseJson(body);
      let patched: KubeObject;
      if (contentType === 'application/json-patch+json') {
        if (!Array.isArray(patch))
          throw new ApiError(400, 'BadRequest', 'a JSON patch must be a list of operations');
        try {
          patched = jsonPatch.applyPatch(
            structuredClone(current),
            patch as Operation[],
            true,
            false,
          ).newDocument;
        } catch (error) {
          throw new ApiError(422, 'Invalid', `the JSON patch does not apply: ${(error as Error).message}`);
        }
      } else if (
        contentType === 'application/merge-patch+json' ||
        contentType === 'application/strategic-merge-patch+json'
      ) {
        patched = applyMergePatch(current, patch) as KubeObject;
      } else {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
        );
      }
      // The status subresource changes the status only; the object itself everything but it.
      const result: KubeObject =
        subresource === 'status'
          ? { ...current, status: patched.status }
          : { ...patched, status: current.status };
      if (result.status === undefined) delete result.status;
      result.metadata = {
        ...(subresource === 'status' ? current.metadata : patched.metadata),
        name,
        ...(namespace ? { namespace } : {}),
      };
      return { code: 200, body: this.put(resource, result) };
    }
    throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${resource}/${name}`);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the request body is not JSON: ${(error as Error).message}`);
  }
}
