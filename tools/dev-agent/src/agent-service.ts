import type { Logger } from '@peerpods/log';
import { assertNetnsExists, NetnsNotFoundError } from '@peerpods/netops';
import { AgentService, type oci } from '@peerpods/protocols';
import {
  Code,
  type MethodTable,
  type ServiceImplementation,
  serviceMethods,
  TtrpcError,
} from '@peerpods/ttrpc';
import { guestDetails } from './guest-details';
import type { ManagedProcess } from './managed-process';
import { listAllRoutes, listInterfaces } from './network-info';
import type { ProcessSpec } from './process-spec';
import type { ProcessTable } from './process-table';
import { unimplementedMethods } from './unimplemented';

export interface AgentServiceOptions {
  readonly table: ProcessTable;
  readonly log: Logger;
  /** Reported by GetGuestDetails (and Health/Version). */
  readonly agentVersion: string;
  /** Where ListInterfaces/ListRoutes look; default: the latest container's namespace, else the agent's own. */
  readonly netns?: string;
}

interface Sandbox {
  readonly id: string;
  readonly hostname: string;
}

function processSpec(process: oci.Process | undefined, what: string): ProcessSpec {
  if (process === undefined) throw new TtrpcError(Code.InvalidArgument, `${what} has no OCI process`);
  return { args: process.Args, env: process.Env, cwd: process.Cwd };
}

/**
 * The last `network` entry of the OCI namespaces with a path. The agent-protocol-forwarder points the
 * pod's netns (`/run/netns/<pod ns>`) into the spec: it sets the path of the existing `network`
 * entry (replacing whatever path it had), or adds such an entry when there is none.
 */
export function networkNamespacePath(spec: oci.Spec | undefined): string | undefined {
  const entries = spec?.Linux?.Namespaces ?? [];
  const network = entries.filter((entry) => entry.Type === 'network' && entry.Path !== '');
  return network.at(-1)?.Path;
}

async function checkNetns(path: string | undefined): Promise<void> {
  if (path === undefined) return;
  try {
    await assertNetnsExists(path);
  } catch (error) {
    if (error instanceof NetnsNotFoundError) throw new TtrpcError(Code.NotFound, error.message);
    throw error;
  }
}

/** Starts a process; it counts as starting (a second start fails) before the namespace check. */
function startProcess(process: ManagedProcess): Promise<void> {
  return process.start(() => checkNetns(process.netns));
}

const empty = {};

/** grpc.AgentService as the dev-agent serves it: what is listed here works, the rest is Unimplemented. */
export function agentMethods(options: AgentServiceOptions): MethodTable {
  const { table, log } = options;
  let sandbox: Sandbox | undefined;

  const implementation: ServiceImplementation<typeof AgentService> = {
    createSandbox: (request) => {
      if (sandbox !== undefined) {
        throw new TtrpcError(Code.AlreadyExists, `sandbox ${sandbox.id} already exists`);
      }
      sandbox = { id: request.sandboxId, hostname: request.hostname };
      log.info(`create sandbox ${request.sandboxId} (hostname ${request.hostname || '-'})`);
      return empty;
    },
    destroySandbox: async () => {
      log.info(`destroy sandbox ${sandbox?.id ?? '(none)'}: killing ${table.size} container(s)`);
      sandbox = undefined;
      await table.clear();
      return empty;
    },
    createContainer: (request) => {
      const netns = networkNamespacePath(request.OCI);
      table.create(request.containerId, processSpec(request.OCI?.Process, 'CreateContainer'), netns);
      log.info(`create container ${request.containerId} (netns ${netns ?? 'of the agent'})`);
      return empty;
    },
    startContainer: async (request) => {
      const container = table.get(request.containerId);
      await startProcess(container.init);
      log.info(
        `start container ${container.id}: pid ${container.init.pid} runs ${container.init.spec.args.join(' ')}`,
      );
      return empty;
    },
    removeContainer: async (request) => {
      await table.remove(request.containerId);
      log.info(`remove container ${request.containerId}`);
      return empty;
    },
    execProcess: async (request) => {
      // An unknown container is NotFound even when the request is malformed too.
      table.get(request.containerId);
      const exec = table.addExec(
        request.containerId,
        request.execId,
        processSpec(request.process, 'ExecProcess'),
      );
      try {
        await startProcess(exec);
      } catch (error) {
        table.dropExec(request.containerId, request.execId);
        throw error;
      }
      log.info(`exec ${request.execId} in container ${request.containerId}: pid ${exec.pid}`);
      return empty;
    },
    waitProcess: async (request, call) => ({
      status: await table.process(request.containerId, request.execId).wait(call.signal),
    }),
    signalProcess: (request) => {
      table.process(request.containerId, request.execId).signal(request.signal);
      return empty;
    },
    writeStdin: async (request) => ({
      len: await table.process(request.containerId, request.execId).writeStdin(request.data),
    }),
    closeStdin: (request) => {
      table.process(request.containerId, request.execId).closeStdin();
      return empty;
    },
    readStdout: async (request, call) => ({
      data: await table.process(request.containerId, request.execId).stdout.read(request.len, call.signal),
    }),
    readStderr: async (request, call) => ({
      data: await table.process(request.containerId, request.execId).stderr.read(request.len, call.signal),
    }),
    getGuestDetails: () => guestDetails(options.agentVersion),
    listInterfaces: async () => ({ Interfaces: await listInterfaces(listNetns()) }),
    listRoutes: async () => ({ Routes: await listAllRoutes(listNetns()) }),
  };

  function listNetns(): string | undefined {
    return options.netns ?? table.latest()?.netns;
  }

  const implemented = serviceMethods(AgentService, implementation);
  return { ...unimplementedMethods(AgentService, Object.keys(implemented)), ...implemented };
}
