/** One JSON patch operation (RFC 6902), as the daemon sends them. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** What the daemon reads of a node. */
export interface NodeView {
  name: string;
  annotations: Record<string, string>;
  capacity: Record<string, string>;
}

/** What the daemon reads of a pod. */
export interface PodView {
  uid: string;
  serviceAccountName?: string;
  imagePullSecrets: { name?: string }[];
}

/** A PeerPod object to create (confidentialcontainers.org/v1alpha1). */
export interface PeerPodSpec {
  namespace: string;
  /** Prefix of the name; the API server adds 5 random characters. */
  generateName: string;
  finalizers: string[];
  owner: { apiVersion: string; kind: string; name: string; uid: string };
  spec: { cloudProvider: string; instanceID: string };
}

/** Follows one node; `stop` ends it. */
export interface NodeWatch {
  stop(): void;
}

export interface NodeWatchOptions {
  /** Each state of the node as it changes (undefined: deleted). */
  onNode: (node: NodeView | undefined) => void;
  /** Why the watch broke and what happens next (it keeps trying until stopped). */
  onTrouble?: (message: string) => void;
  /** When watching is forbidden (RBAC without `watch` on nodes): how often to read the node instead. */
  pollIntervalMs?: number;
}

/** A failed API call: the HTTP code, the Kubernetes reason (NotFound, Forbidden…) and what was asked. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The calls Kubernetes mode makes, and nothing more; every failure is a KubeApiError. */
export interface KubeApi {
  /** The API server's URL, for log lines. */
  readonly server: string;
  getNode(name: string): Promise<NodeView>;
  /** Sets (or, with null, removes) one annotation by merge patch. */
  annotateNode(name: string, key: string, value: string | null): Promise<void>;
  /** A JSON patch on the node's status subresource. */
  patchNodeStatus(name: string, operations: JsonPatchOperation[]): Promise<void>;
  watchNode(name: string, options: NodeWatchOptions): NodeWatch;
  getPod(namespace: string, name: string): Promise<PodView>;
  getServiceAccount(namespace: string, name: string): Promise<{ imagePullSecrets?: { name?: string }[] }>;
  getSecret(namespace: string, name: string): Promise<{ type?: string; data?: Record<string, string> }>;
  /** Resolves the created object's name. */
  createPeerPod(peerPod: PeerPodSpec): Promise<string>;
  patchPeerPod(namespace: string, name: string, operations: JsonPatchOperation[]): Promise<void>;
}

/** Where the client's configuration comes from. */
export type KubeConnection = { via: 'in-cluster config' } | { via: 'KUBECONFIG'; path: string };
