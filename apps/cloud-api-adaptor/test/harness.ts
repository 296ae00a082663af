import { join } from 'node:path';
import { after } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { TextLogger } from '@peerpods/log';
import { StubWorkerNetwork, type WorkerNetwork } from '@peerpods/podnetwork';
import { HypervisorService, hypervisor } from '@peerpods/protocols';
import { freePort, tempDir } from '@peerpods/test-support';
import { createServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { COMMON_OPTIONS } from '../src/common-options';
import { type DaemonOptions, type RunningDaemon, startDaemon } from '../src/daemon';
import { daemonConfig } from '../src/daemon-config';
import { type ScriptedState, scriptedProvider } from './fixtures/scripted-provider';

export { freePort, tempDir };

export interface TestDaemon {
  daemon: RunningDaemon;
  state: ScriptedState;
  socketPath: string;
  podsDir: string;
  logs: string[];
  /** A fresh connection per call, as the kata shim makes them. */
  call: {
    createVM(id: string, annotations: Record<string, string>, netns?: string): Promise<string>;
    startVM(id: string, timeoutMs?: number): Promise<void>;
    stopVM(id: string): Promise<void>;
  };
}

export const POD_ANNOTATIONS = (pod: string, ns = 'default'): Record<string, string> => ({
  'io.kubernetes.cri.sandbox-name': pod,
  'io.kubernetes.cri.sandbox-namespace': ns,
  'io.katacontainers.config.hypervisor.machine_type': '',
  'io.katacontainers.config.hypervisor.image': '',
  'io.katacontainers.config.hypervisor.default_vcpus': '0',
  'io.katacontainers.config.hypervisor.default_memory': '0',
  'io.katacontainers.config.hypervisor.cc_init_data': '',
  'io.katacontainers.config.hypervisor.default_gpus': '0',
  'io.katacontainers.config.hypervisor.default_gpu_model': '',
});

/** The daemon in-process with the scripted provider, on temp paths; stopped after the test file. */
export async function startTestDaemon(
  flags: Record<string, string | boolean> = {},
  options: {
    network?: (settings: { vxlanPort: number; vxlanMinId: number }) => WorkerNetwork;
    imagePullAuth?: DaemonOptions['imagePullAuth'];
    env?: NodeJS.ProcessEnv;
    kubernetes?: DaemonOptions['kubernetes'];
    /** Shared with another test daemon: the same pretend cloud. */
    state?: ScriptedState;
  } = {},
): Promise<TestDaemon> {
  const dir = tempDir();
  const socketPath = typeof flags.socket === 'string' ? flags.socket : join(dir, 'hypervisor.sock');
  const podsDir = typeof flags['pods-dir'] === 'string' ? flags['pods-dir'] : join(dir, 'pods');
  const port = await freePort();
  const { factory, state } = scriptedProvider({ state: options.state });
  const { values } = resolveOptions(
    COMMON_OPTIONS,
    {
      socket: socketPath,
      'pods-dir': podsDir,
      'forwarder-port': String(port),
      'proxy-timeout': '5s',
      ...flags,
    },
    {},
  );
  const logs: string[] = [];
  const log = new TextLogger('adaptor', { write: (line) => logs.push(line) });
  const config = daemonConfig(values);
  const settings = { vxlanPort: config.vxlanPort, vxlanMinId: config.vxlanMinId };
  const network = options.network?.(settings) ?? new StubWorkerNetwork(settings);
  const daemon = await startDaemon({
    config,
    factory,
    values,
    log,
    network,
    imagePullAuth: options.imagePullAuth,
    env: options.env ?? {},
    kubernetes: options.kubernetes,
  });
  after(() => daemon.stop());
  const once = async <T>(
    work: (client: ReturnType<typeof createServiceClient<typeof HypervisorService>>) => Promise<T>,
  ) => {
    const client = await TtrpcClient.connect({ path: socketPath });
    try {
      return await work(createServiceClient(HypervisorService, client));
    } finally {
      client.close();
    }
  };
  return {
    daemon,
    state,
    socketPath,
    podsDir,
    logs,
    call: {
      createVM: (id, annotations, netns = '/var/run/netns/cni-test') =>
        once(
          async (c) =>
            (
              await c.createVM(
                hypervisor.CreateVMRequest.fromPartial({ id, annotations, networkNamespacePath: netns }),
              )
            ).agentSocketPath,
        ),
      startVM: (id, timeoutMs = 600_000) =>
        once(async (c) => {
          await c.startVM({ id }, { timeoutMs });
        }),
      stopVM: (id) =>
        once(async (c) => {
          await c.stopVM({ id });
        }),
    },
  };
}

export const sandboxId = (n: number) => n.toString(16).padStart(64, 'a');
