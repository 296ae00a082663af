import { connectKubernetes, type KubeApi, type KubeConnection } from '@peerpods/kube-client';
import type { Logger } from '@peerpods/log';
import { detectCluster } from './cluster-detection';
import { imagePullAuth, type PullAuthResult } from './image-pull-auth';
import { NodeCapacity } from './node-capacity';
import { PeerPodObjects } from './peer-pod-objects';

/** What the daemon does for a Kubernetes node, once it knows it runs for one. */
export interface KubernetesMode {
  readonly nodeName: string;
  readonly podUid: string;
  readonly api: KubeApi;
  readonly capacity: NodeCapacity;
  /** Absent when CLOUD_PROVIDER is not set (upstream's rule; peerpod-ctrl needs it). */
  readonly peerPods?: PeerPodObjects;
  imagePullAuth(podNamespace: string, podName: string): Promise<PullAuthResult>;
}

/**
 * Kubernetes mode, when the daemon runs for a node (cluster-detection.ts); undefined outside a
 * cluster, after one line that says what is off.
 */
export async function enterKubernetesMode(
  env: NodeJS.ProcessEnv,
  log: Logger,
  tokenPath?: string,
): Promise<KubernetesMode | undefined> {
  const cluster = detectCluster(env, tokenPath);
  if (!cluster.inCluster) {
    log.info(
      `not running in a Kubernetes cluster (${cluster.reason}): the extended resource, PeerPod objects, image pull secrets and the startup probe are off`,
    );
    return undefined;
  }
  // KUBECONFIG may list several files, as kubectl reads it; the first one names the cluster.
  const connection: KubeConnection =
    cluster.via === 'in-cluster config'
      ? { via: 'in-cluster config' }
      : {
          via: 'KUBECONFIG',
          path: env
            .KUBECONFIG!.split(':')
            .find((path) => path.trim() !== '')!
            .trim(),
        };
  let api: KubeApi;
  try {
    api = await connectKubernetes(connection);
  } catch (error) {
    throw new Error(`Kubernetes client from the ${cluster.via}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (cluster.podUid === '')
    log.warn(
      'POD_UID is not set: the node ownership annotation cannot tell this daemon pod from the next one, so a surge rollout cannot hand the pods over',
    );
  const cloudProvider = env.CLOUD_PROVIDER?.trim() ?? '';
  if (cloudProvider === '') log.info('CLOUD_PROVIDER is not set: no PeerPod objects are made');
  const kubeLog = log.child('k8s');
  log.info(`Kubernetes mode for node ${cluster.nodeName} (${cluster.via}, API server ${api.server})`);
  return {
    nodeName: cluster.nodeName,
    podUid: cluster.podUid,
    api,
    capacity: new NodeCapacity(api, cluster.nodeName, cluster.podUid),
    ...(cloudProvider !== '' ? { peerPods: new PeerPodObjects(api, cloudProvider, kubeLog) } : {}),
    imagePullAuth: (podNamespace, podName) => imagePullAuth(api, podNamespace, podName),
  };
}
