import { type KubeConfig, type V1Node, Watch } from '@kubernetes/client-node';
import { kubeApiError } from './api-errors';
import type { NodeView, NodeWatch, NodeWatchOptions } from './kube-api';
import { nodeView } from './node-view';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;
const DEFAULT_POLL_MS = 10_000;
const QUICK_END_MS = 5000;

/**
 * Follows one node through a watch (`fieldSelector=metadata.name=<node>`), so a change reaches the
 * daemon at once without it reading the node over and over. A watch that ends (API server restart,
 * its own timeout) is opened again, after a growing pause while it keeps failing. Where RBAC allows
 * only `get` on nodes (upstream's node-viewer role), it reads the node every `pollIntervalMs` instead.
 */
export function watchNode(
  config: KubeConfig,
  name: string,
  read: () => Promise<NodeView>,
  options: NodeWatchOptions,
): NodeWatch {
  const watch = new Watch(config);
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;
  const later = (ms: number, next: () => void) => {
    if (stopped) return;
    timer = setTimeout(next, ms);
    timer.unref();
  };

  const poll = () => {
    // A read still in flight at stop() is not delivered: the caller may have decided already.
    read().then(
      (node) => {
        if (!stopped) options.onNode(node);
      },
      (error: unknown) => {
        if (stopped) return;
        if ((error as { code?: number }).code === 404) options.onNode(undefined);
        else options.onTrouble?.(`reading node ${name}: ${(error as Error).message}`);
      },
    );
    later(options.pollIntervalMs ?? DEFAULT_POLL_MS, poll);
  };

  const open = () => {
    if (stopped) return;
    let failed = false;
    const openedAt = performance.now();
    const ended = (error: unknown) => {
      if (stopped || failed) return;
      failed = true;
      controller = undefined;
      // The server's own end of a watch, or client-node's 30 s inactivity limit on a quiet node:
      // routine, opened again at once unless it keeps ending straight away.
      const routine = !error || (error as { name?: string }).name === 'TimeoutError';
      if (routine && performance.now() - openedAt > QUICK_END_MS) {
        retryMs = FIRST_RETRY_MS;
        open();
        return;
      }
      const problem = routine ? undefined : kubeApiError(error, `watching node ${name}`);
      if (problem?.code === 403) {
        const every = options.pollIntervalMs ?? DEFAULT_POLL_MS;
        options.onTrouble?.(`${problem.message}; reading the node every ${every} ms instead`);
        poll();
        return;
      }
      if (problem) options.onTrouble?.(`${problem.message}; watching again in ${retryMs} ms`);
      later(retryMs, open);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    };
    watch
      .watch(
        '/api/v1/nodes',
        { fieldSelector: `metadata.name=${name}` },
        (type: string, object: V1Node) => {
          if (stopped) return;
          retryMs = FIRST_RETRY_MS;
          if (type === 'DELETED') options.onNode(undefined);
          else if (type === 'ADDED' || type === 'MODIFIED') options.onNode(nodeView(object));
        },
        ended,
      )
      .then((opened) => {
        if (stopped) opened.abort();
        else controller = opened;
      }, ended);
  };

  open();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
