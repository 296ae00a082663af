import { loadLazyModule } from '@peerpods/cli';
import type { KubeApi, KubeConnection } from './kube-api';

export * from './kube-api';

type Implementation = typeof import('./implementation');

/**
 * A client for the API server. @kubernetes/client-node (about 2 MB bundled) loads here, so a daemon
 * outside a cluster, and --help, never pay for it.
 */
export async function connectKubernetes(
  connection: KubeConnection,
  options: { requestTimeoutMs?: number } = {},
): Promise<KubeApi> {
  const { createKubeApi } = await loadLazyModule<Implementation>(
    'kube-client',
    {},
    () => import('@peerpods/kube-client/implementation'),
  );
  return createKubeApi(connection, options);
}
