import { randomUUID } from 'node:crypto';
import {
  SANDBOX_NAME_ANNOTATION,
  SANDBOX_NAMESPACE_ANNOTATION,
  SANDBOX_UID_ANNOTATION,
} from '@peerpods/providers';
import { AgentSession, type AgentTimeouts } from './agent-session';
import { randomId } from './container-spec';
import { DEFAULT_HYPERVISOR_SOCKET, HypervisorClient, type HypervisorTimeouts } from './hypervisor-client';
import {
  type CreatePodNetworkOptions,
  createPodNetwork,
  type DeletePodNetworkOptions,
  deletePodNetwork,
  type PodNetworkHandle,
} from './pod-network';
import { DEFAULT_STATE_DIR, removeSandbox, type SandboxState, saveSandbox } from './sandbox-state';

/** The pod network calls, replaceable (tests without root, other CNI stand-ins). */
export interface PodNetworkOps {
  create(options: CreatePodNetworkOptions): Promise<PodNetworkHandle>;
  delete(target: PodNetworkHandle | DeletePodNetworkOptions): Promise<void>;
}

export const KERNEL_POD_NETWORK: PodNetworkOps = { create: createPodNetwork, delete: deletePodNetwork };

export interface StepTiming {
  step: string;
  ms: number;
}

export interface LaunchOptions {
  /** Sandbox id; default 64 random hex. */
  id?: string;
  podName?: string;
  podNamespace?: string;
  /** Default: a random UUID. */
  podUid?: string;
  /** Added to the sandbox name/namespace/uid annotations (and may override them). */
  annotations?: Record<string, string>;
  socketPath?: string;
  /** Pod network options other than the netns name, which is `cni-<first 12 of id>`. */
  network?: Omit<CreatePodNetworkOptions, 'name'>;
  networkOps?: PodNetworkOps;
  /** Where the state is saved; `false`: not saved. */
  stateDir?: string | false;
  hypervisorTimeouts?: Partial<HypervisorTimeouts>;
  agentTimeouts?: Partial<AgentTimeouts>;
  signal?: AbortSignal;
  /** Called after each step, as it completes. */
  onStep?: (timing: StepTiming) => void;
}

export interface LaunchedSandbox {
  state: SandboxState;
  annotations: Record<string, string>;
  hypervisor: HypervisorClient;
  agent: AgentSession;
  timings: StepTiming[];
}

/** kata's netns naming for a CNI pod: `cni-` and the start of the sandbox id. */
export function podNetnsName(id: string): string {
  return `cni-${id.slice(0, 12)}`;
}

/** The CreateVM annotations: sandbox name, namespace and uid, then the extra ones (which win). */
export function sandboxAnnotations(options: {
  podName: string;
  podNamespace: string;
  podUid: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    [SANDBOX_NAME_ANNOTATION]: options.podName,
    [SANDBOX_NAMESPACE_ANNOTATION]: options.podNamespace,
    [SANDBOX_UID_ANNOTATION]: options.podUid,
    ...options.extra,
  };
}

/**
 * What kubelet, the CNI plugin and the kata shim do to start a peer-pod sandbox: pod network,
 * CreateVM, StartVM, then on the returned agent socket Health.Check and CreateSandbox; the state is
 * saved. A failure (or abort) once CreateVM was sent stops the VM, even when CreateVM never answered;
 * any failure deletes the pod network. The returned
 * clients stay connected (close them, or pass them to {@link teardownSandbox}).
 */
export async function launchSandbox(options: LaunchOptions = {}): Promise<LaunchedSandbox> {
  const id = options.id ?? randomId();
  const socketPath = options.socketPath ?? DEFAULT_HYPERVISOR_SOCKET;
  const ops = options.networkOps ?? KERNEL_POD_NETWORK;
  const podName = options.podName ?? 'demo';
  const annotations = sandboxAnnotations({
    podName,
    podNamespace: options.podNamespace ?? 'default',
    podUid: options.podUid ?? randomUUID(),
    extra: options.annotations,
  });
  const timings: StepTiming[] = [];
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    options.signal?.throwIfAborted();
    const start = performance.now();
    const result = await work();
    const timing = { step, ms: performance.now() - start };
    timings.push(timing);
    options.onStep?.(timing);
    return result;
  };

  // Connect first: a daemon that is not running should cost no pod network.
  const hypervisor = await timed('connect', () =>
    HypervisorClient.connect(socketPath, options.hypervisorTimeouts),
  );
  let podNetwork: PodNetworkHandle | undefined;
  // Set as CreateVM is sent, not when it answers: a CreateVM aborted or timed out after it went out may
  // still have made the sandbox in the daemon, so the clean-up must send StopVM then too.
  let createVMSent = false;
  let agent: AgentSession | undefined;
  try {
    podNetwork = await timed('pod network', () => ops.create({ ...options.network, name: podNetnsName(id) }));
    const network = podNetwork;
    const agentSocketPath = await timed('CreateVM', () => {
      createVMSent = true;
      return hypervisor.createVM({
        id,
        annotations,
        networkNamespacePath: network.path,
        signal: options.signal,
      });
    });
    await timed('StartVM', () => hypervisor.startVM(id, { signal: options.signal }));
    const session = await timed('agent connect', () =>
      AgentSession.connect(agentSocketPath, options.agentTimeouts),
    );
    agent = session;
    await timed('Check', () => session.check());
    await timed('CreateSandbox', () => session.createSandbox({ sandboxId: id, hostname: podName }));
    const state: SandboxState = {
      id,
      socketPath,
      agentSocketPath,
      podNetwork: network,
      createdAt: new Date().toISOString(),
    };
    if (options.stateDir !== false) await saveSandbox(state, options.stateDir ?? DEFAULT_STATE_DIR);
    return { state, annotations, hypervisor, agent: session, timings };
  } catch (error) {
    agent?.close();
    // Errors ignored: after a CreateVM that never reached the daemon, StopVM finds no sandbox.
    if (createVMSent) await hypervisor.stopVM(id).catch(() => {});
    hypervisor.close();
    if (podNetwork) await ops.delete(podNetwork).catch(() => {});
    throw error;
  }
}

export interface TeardownOptions {
  /** Reuse connected clients; otherwise the state's sockets are dialled. */
  hypervisor?: HypervisorClient;
  agent?: AgentSession;
  networkOps?: PodNetworkOps;
  /** Where the state file is removed from; `false`: left alone. */
  stateDir?: string | false;
  hypervisorTimeouts?: Partial<HypervisorTimeouts>;
  /** The agent dial budget at teardown (the proxy may be gone); default 2 s. */
  agentDialMs?: number;
  onStep?: (timing: StepTiming) => void;
}

export interface TeardownResult {
  timings: StepTiming[];
  /** What failed, by step; DestroySandbox failures are listed but do not count as a failed stop. */
  errors: { step: string; message: string }[];
}

/**
 * The shim's stop: DestroySandbox (best effort), StopVM, then the pod network and the state file.
 * Every step runs whatever happened before; the clients are closed.
 */
export async function teardownSandbox(
  state: SandboxState,
  options: TeardownOptions = {},
): Promise<TeardownResult> {
  const timings: StepTiming[] = [];
  const errors: TeardownResult['errors'] = [];
  const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
    const start = performance.now();
    try {
      await work();
    } catch (error) {
      errors.push({ step: name, message: (error as Error).message });
    }
    const timing = { step: name, ms: performance.now() - start };
    timings.push(timing);
    options.onStep?.(timing);
  };
  let agent = options.agent;
  await step('DestroySandbox', async () => {
    agent ??= await AgentSession.connect(state.agentSocketPath, { dialMs: options.agentDialMs ?? 2_000 });
    await agent.destroySandbox();
  });
  agent?.close();
  let hypervisor = options.hypervisor;
  await step('StopVM', async () => {
    hypervisor ??= await HypervisorClient.connect(state.socketPath, options.hypervisorTimeouts);
    await hypervisor.stopVM(state.id);
  });
  hypervisor?.close();
  await step('pod network delete', () => (options.networkOps ?? KERNEL_POD_NETWORK).delete(state.podNetwork));
  if (options.stateDir !== false) {
    await step('state', () => removeSandbox(state.id, options.stateDir || DEFAULT_STATE_DIR));
  }
  return { timings, errors };
}
