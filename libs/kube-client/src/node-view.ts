import type { V1Node } from '@kubernetes/client-node';
import type { NodeView } from './kube-api';

export function nodeView(node: V1Node): NodeView {
  return {
    name: node.metadata?.name ?? '',
    annotations: { ...node.metadata?.annotations },
    capacity: { ...node.status?.capacity },
  };
}
