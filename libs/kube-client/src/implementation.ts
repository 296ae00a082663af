import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { withDeadline } from './api-errors';
import type { KubeApi, KubeConnection, PeerPodSpec } from './kube-api';
import { nodeView } from './node-view';
import { watchNode } from './node-watch';

const PEERPODS = { group: 'confidentialcontainers.org', version: 'v1alpha1', plural: 'peerpods' } as const;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** The KubeApi over @kubernetes/client-node. */
export function createKubeApi(
  connection: KubeConnection,
  options: { requestTimeoutMs?: number } = {},
): KubeApi {
  const config = new KubeConfig();
  if (connection.via === 'in-cluster config') config.loadFromCluster();
  else config.loadFromFile(connection.path);
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error(`no cluster in the ${connection.via}`);
  const core = config.makeApiClient(CoreV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  const ms = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

  const api: KubeApi = {
    server,
    async getNode(name) {
      return nodeView(await withDeadline(core.readNode({ name }), ms, `reading node ${name}`));
    },
    async annotateNode(name, key, value) {
      await withDeadline(
        core.patchNode({ name, body: { metadata: { annotations: { [key]: value } } } }, mergePatch),
        ms,
        `annotating node ${name}`,
      );
    },
    async patchNodeStatus(name, operations) {
      await withDeadline(
        core.patchNodeStatus({ name, body: operations }, jsonPatch),
        ms,
        `patching the status of node ${name}`,
      );
    },
    watchNode(name, watchOptions) {
      return watchNode(config, name, () => api.getNode(name), watchOptions);
    },
    async getPod(namespace, name) {
      const pod = await withDeadline(
        core.readNamespacedPod({ namespace, name }),
        ms,
        `reading pod ${namespace}/${name}`,
      );
      return {
        uid: pod.metadata?.uid ?? '',
        serviceAccountName: pod.spec?.serviceAccountName,
        imagePullSecrets: (pod.spec?.imagePullSecrets ?? []).map((ref) => ({ name: ref.name })),
      };
    },
    async getServiceAccount(namespace, name) {
      const account = await withDeadline(
        core.readNamespacedServiceAccount({ namespace, name }),
        ms,
        `reading service account ${namespace}/${name}`,
      );
      return { imagePullSecrets: (account.imagePullSecrets ?? []).map((ref) => ({ name: ref.name })) };
    },
    async getSecret(namespace, name) {
      const secret = await withDeadline(
        core.readNamespacedSecret({ namespace, name }),
        ms,
        `reading secret ${namespace}/${name}`,
      );
      return { type: secret.type, data: { ...secret.data } };
    },
    async createPeerPod(peerPod: PeerPodSpec) {
      const created = (await withDeadline(
        custom.createNamespacedCustomObject({
          ...PEERPODS,
          namespace: peerPod.namespace,
          body: {
            apiVersion: `${PEERPODS.group}/${PEERPODS.version}`,
            kind: 'PeerPod',
            metadata: {
              generateName: peerPod.generateName,
              namespace: peerPod.namespace,
              finalizers: peerPod.finalizers,
              ownerReferences: [{ ...peerPod.owner, controller: true, blockOwnerDeletion: true }],
            },
            spec: peerPod.spec,
          },
        }),
        ms,
        `creating a PeerPod in ${peerPod.namespace}`,
      )) as { metadata?: { name?: string } };
      return created.metadata?.name ?? '';
    },
    async patchPeerPod(namespace, name, operations) {
      await withDeadline(
        custom.patchNamespacedCustomObject({ ...PEERPODS, namespace, name, body: operations }, jsonPatch),
        ms,
        `patching PeerPod ${namespace}/${name}`,
      );
    },
  };
  return api;
}
