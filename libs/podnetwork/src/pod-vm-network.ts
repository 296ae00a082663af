import type { PodNetwork } from '@peerpods/apf-config';

/**
 * The pod-VM side of pod networking, as agent-protocol-forwarder uses it: recreate the pod's
 * interface (IP, MAC, routes, neighbours) inside the pod network namespace at the end of a VXLAN
 * tunnel to the worker, before serving; remove it on exit. The pod-networking issue implements it.
 */
export interface PodVmNetwork {
  setup(request: { podNetwork: PodNetwork; podNamespacePath: string; hostInterface?: string }): Promise<void>;
  teardown(): Promise<void>;
}

/** Changes nothing; stands in until pod networking lands, and in tests of the forwarder. */
export class NoopPodVmNetwork implements PodVmNetwork {
  setupCalls = 0;
  teardownCalls = 0;

  async setup(): Promise<void> {
    this.setupCalls++;
  }

  async teardown(): Promise<void> {
    this.teardownCalls++;
  }
}
