import type { PodNetwork } from '@peerpods/apf-config';
import type { Instance, InstanceTypeSpec } from '@peerpods/providers';
import type { AgentProxy } from './agent-proxy';

export type SandboxState = 'creating' | 'created' | 'starting' | 'running' | 'stopping';

/** Everything the daemon knows about one sandbox (one pod), from CreateVM to StopVM. */
export interface Sandbox {
  readonly id: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly netnsPath: string;
  readonly instanceName: string;
  /** `<pods-dir>/<id>`. */
  readonly dir: string;
  readonly agentSocketPath: string;
  state: SandboxState;
  /** Taken over from a previous run's record at start. */
  adopted?: boolean;
  spec?: InstanceTypeSpec;
  podNetwork?: PodNetwork;
  /** The `#cloud-config` text the instance boots with. */
  userData?: string;
  instance?: Instance;
  /** Kubernetes mode: the name of the instance's PeerPod object (in the pod's namespace). */
  peerPod?: string;
  /** Set once the worker side of the tunnel exists. */
  tunnelUp?: boolean;
  proxy?: AgentProxy;
  /** The CreateVM in flight: StopVM waits for it. */
  creating?: Promise<void>;
  /** The StopVM in flight: later StopVMs share it. */
  stopping?: Promise<void>;
  /** The StartVM in flight: StopVM aborts it and waits for its clean-up. */
  starting?: { controller: AbortController; settled: Promise<unknown> };
}
