import type { KubeApi } from '@peerpods/kube-client';
import type { Logger } from '@peerpods/log';

/** peerpod-ctrl removes an instance whose PeerPod is deleted while it still has this finalizer. */
export const PEERPOD_FINALIZER = 'peer.pod/finalizer';

/**
 * PeerPod objects as upstream makes them (its §12), so upstream's peerpod-ctrl works beside this
 * daemon: one per instance, in the pod's namespace, owned by the pod (so deleting the pod deletes
 * it), with a finalizer that makes peerpod-ctrl delete the instance if the daemon does not. The
 * daemon releases it (drops the finalizer) once it deleted the instance itself. A failure is logged
 * and never fails the pod: the orphan sweep covers an instance that loses its PeerPod.
 */
export class PeerPodObjects {
  constructor(
    private readonly api: KubeApi,
    private readonly cloudProvider: string,
    private readonly log: Logger,
  ) {}

  /** Resolves the PeerPod's name, or undefined when it could not be made. */
  async created(
    pod: { podName: string; podNamespace: string },
    instanceId: string,
  ): Promise<string | undefined> {
    const where = `${pod.podNamespace}/${pod.podName}`;
    try {
      const { uid } = await this.api.getPod(pod.podNamespace, pod.podName);
      const name = await this.api.createPeerPod({
        namespace: pod.podNamespace,
        generateName: `${pod.podName}-resource-`,
        finalizers: [PEERPOD_FINALIZER],
        owner: { apiVersion: 'v1', kind: 'Pod', name: pod.podName, uid },
        spec: { cloudProvider: this.cloudProvider, instanceID: instanceId },
      });
      this.log.info(`created PeerPod ${pod.podNamespace}/${name} for instance ${instanceId} of pod ${where}`);
      return name;
    } catch (error) {
      this.log.warn(
        `creating a PeerPod for instance ${instanceId} of pod ${where}: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  /** Drops the finalizer: the instance is gone, peerpod-ctrl has nothing left to delete. */
  async released(namespace: string, name: string): Promise<void> {
    try {
      await this.api.patchPeerPod(namespace, name, [{ op: 'remove', path: '/metadata/finalizers' }]);
      this.log.info(`released PeerPod ${namespace}/${name}`);
    } catch (error) {
      // Already gone (the pod and its PeerPod were deleted): nothing to release.
      if ((error as { code?: number }).code === 404) return;
      this.log.warn(`releasing PeerPod ${namespace}/${name}: ${(error as Error).message}`);
    }
  }
}
