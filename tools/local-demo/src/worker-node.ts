import { createNetns, deleteNetns, ipBatch, netnsPids } from '@peerpods/netops';

/** The worker node's "uplink" address: a documentation range, on a cable that leads nowhere. */
export const WORKER_NODE_IP = '192.0.2.1';

export interface WorkerNode {
  /** Named network namespace. */
  readonly name: string;
  /** `/run/netns/<name>`. */
  readonly path: string;
}

/**
 * A Kubernetes worker node's network, as a namespace: loopback, and `eth0` with the node IP and the
 * default route. eth0 is one end of a veth whose other end stays in the namespace unaddressed, so the
 * node has a primary interface (the tunnel's underlay address comes from it) while nothing it sends
 * can leave: everything the demo does stays inside namespaces it made.
 */
export async function createWorkerNode(name: string): Promise<WorkerNode> {
  const path = await createNetns(name);
  try {
    await ipBatch(
      [
        'link set lo up',
        'link add eth0 type veth peer name uplink0',
        `addr add ${WORKER_NODE_IP}/24 dev eth0`,
        'link set eth0 up',
        'link set uplink0 up',
        'route add default dev eth0',
      ],
      { netns: path },
    );
  } catch (error) {
    await deleteNetns(name, { ifExists: true });
    throw error;
  }
  return { name, path };
}

/** Kills whatever still runs in the worker namespace, then deletes it; fine when it is gone. */
export function removeWorkerNode(node: WorkerNode): Promise<void> {
  return removeNamespace(node.name);
}

/** SIGKILL to every process in a named namespace, then the namespace; fine when it is gone. */
export async function removeNamespace(name: string): Promise<void> {
  for (const pid of await netnsPids(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await deleteNetns(name, { ifExists: true });
}
