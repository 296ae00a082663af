import { existsSync } from 'node:fs';

/** Where a pod's service account token is mounted (in-cluster config). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type ClusterMode =
  | { inCluster: true; nodeName: string; podUid: string; via: 'in-cluster config' | 'KUBECONFIG' }
  | { inCluster: false; reason: string };

/**
 * Whether the daemon runs for a Kubernetes node: in-cluster config (KUBERNETES_SERVICE_HOST and the
 * service account token) or KUBECONFIG, and NODE_NAME (the DaemonSet's downward API). Upstream's
 * test for the same features.
 */
export function detectCluster(env: NodeJS.ProcessEnv, tokenPath = SERVICE_ACCOUNT_TOKEN): ClusterMode {
  const nodeName = env.NODE_NAME?.trim() ?? '';
  const inCluster =
    Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) && existsSync(tokenPath);
  const kubeconfig = Boolean(env.KUBECONFIG?.trim());
  if (!inCluster && !kubeconfig)
    return { inCluster: false, reason: 'no in-cluster config and no KUBECONFIG' };
  if (nodeName === '') return { inCluster: false, reason: 'NODE_NAME is not set' };
  return {
    inCluster: true,
    nodeName,
    podUid: env.POD_UID?.trim() ?? '',
    via: inCluster ? 'in-cluster config' : 'KUBECONFIG',
  };
}
