import type { KubeApi, NodeWatch } from '@peerpods/kube-client';
import type { Logger } from '@peerpods/log';
import { CAA_OWNER_ANNOTATION } from './node-capacity';

/**
 * Calls `onSuperseded` once, as soon as the node's owner annotation names another daemon pod: a
 * surge rollout's new pod has started and waits for this one to hand its sandboxes over.
 */
export function watchOwnership(options: {
  api: KubeApi;
  nodeName: string;
  podUid: string;
  log: Logger;
  onSuperseded: (newOwner: string) => void;
  pollIntervalMs?: number;
}): NodeWatch {
  let superseded = false;
  const watch = options.api.watchNode(options.nodeName, {
    pollIntervalMs: options.pollIntervalMs,
    onTrouble: (message) => options.log.warn(message),
    onNode: (node) => {
      const owner = node?.annotations[CAA_OWNER_ANNOTATION] ?? '';
      if (superseded || owner === '' || owner === options.podUid) return;
      superseded = true;
      watch.stop();
      options.onSuperseded(owner);
    },
  });
  return watch;
}
