import type { KubeApi } from '@peerpods/kube-client';

/** The node annotation that says which daemon pod (by POD_UID) owns the node's capacity and socket. */
export const CAA_OWNER_ANNOTATION = 'kata.peerpods.io/caa-owner';
/** The extended resource the webhook requests one of per peer pod. */
export const PEERPODS_RESOURCE = 'kata.peerpods.io/vm';
const CAPACITY_PATH = `/status/capacity/${PEERPODS_RESOURCE.replace('/', '~1')}`;
const OWNER_PATH = `/metadata/annotations/${CAA_OWNER_ANNOTATION.replace('/', '~1')}`;

/**
 * The extended resource and upstream's ownership handshake (its §9): the daemon that starts last
 * owns the node; only the owner withdraws the capacity (and removes the socket) when it stops, so
 * the old pod of a surge rollout never takes them from the new one.
 */
export class NodeCapacity {
  constructor(
    private readonly api: KubeApi,
    readonly nodeName: string,
    readonly podUid: string,
  ) {}

  /** Names this daemon pod the node's owner (merge patch of the annotation). */
  claim(): Promise<void> {
    return this.api.annotateNode(this.nodeName, CAA_OWNER_ANNOTATION, this.podUid);
  }

  /** `kata.peerpods.io/vm: "<limit>"` in the node's capacity (JSON patch on status). */
  advertise(limit: number): Promise<void> {
    return this.api.patchNodeStatus(this.nodeName, [
      { op: 'add', path: CAPACITY_PATH, value: String(limit) },
    ]);
  }

  /** Who owns the node now ('' when nobody has claimed it). */
  async owner(): Promise<string> {
    return (await this.api.getNode(this.nodeName)).annotations[CAA_OWNER_ANNOTATION] ?? '';
  }

  /**
   * Withdraws the capacity if this daemon pod still owns the node. Resolves whether it did: false
   * means another daemon pod owns node, capacity and socket now, and none of them may be touched.
   */
  async withdrawIfOwner(): Promise<boolean> {
    const node = await this.api.getNode(this.nodeName);
    if ((node.annotations[CAA_OWNER_ANNOTATION] ?? '') !== this.podUid) return false;
    if (node.capacity[PEERPODS_RESOURCE] === undefined) return true;
    try {
      // The test op makes this atomic: a new owner that claimed the node since the read keeps its capacity.
      await this.api.patchNodeStatus(this.nodeName, [
        { op: 'test', path: OWNER_PATH, value: this.podUid },
        { op: 'remove', path: CAPACITY_PATH },
      ]);
    } catch (error) {
      if ((error as { code?: number }).code === 422) return (await this.owner()) === this.podUid;
      throw error;
    }
    return true;
  }
}
