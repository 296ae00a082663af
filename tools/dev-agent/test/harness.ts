// An in-process dev-agent on a real unix socket, and a real ttrpc client for it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { silentLogger } from '@peerpods/log';
import { AgentService, agent, HealthService, oci } from '@peerpods/protocols';
import { tempDir } from '@peerpods/test-support';
import { createServiceClient, type ServiceClient, TtrpcClient, TtrpcError } from '@peerpods/ttrpc';
import { type RunningDevAgent, startDevAgent } from '../src/dev-agent';

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TestAgent {
  readonly agent: RunningDevAgent;
  readonly client: ServiceClient<typeof AgentService>;
  readonly health: ServiceClient<typeof HealthService>;
  readonly socket: string;
}

/** Starts a dev-agent and a client; both are stopped when the test file ends (every process killed). */
export async function startTestAgent(
  options: { netns?: string; streamCap?: number } = {},
): Promise<TestAgent> {
  const socket = join(tempDir('dev-agent-test-'), 'run', 'kata-containers', 'agent.sock');
  const running = await startDevAgent({
    socket,
    log: silentLogger,
    agentVersion: '0.1.0-dev-agent',
    netns: options.netns,
    streamCap: options.streamCap,
  });
  const connection = await TtrpcClient.connect({ path: socket });
  after(async () => {
    connection.close();
    await running.stop();
  });
  return {
    agent: running,
    client: createServiceClient(AgentService, connection),
    health: createServiceClient(HealthService, connection),
    socket,
  };
}

/** A CreateContainerRequest running `args`, optionally in the network namespace at `netns`. */
export function containerRequest(
  containerId: string,
  args: string[],
  options: { netns?: string; env?: string[]; cwd?: string } = {},
): agent.CreateContainerRequest {
  return agent.CreateContainerRequest.fromPartial({
    containerId,
    OCI: oci.Spec.fromPartial({
      Process: { Args: args, Env: options.env ?? [PATH_ENV], Cwd: options.cwd ?? '/' },
      Linux: {
        Namespaces: [
          { Type: 'pid', Path: '' },
          ...(options.netns === undefined ? [] : [{ Type: 'network', Path: options.netns }]),
        ],
      },
    }),
  });
}

/** Reads a stream until the EOF error; returns everything read. */
export async function readAll(
  read: (request: agent.ReadStreamRequest) => Promise<agent.ReadStreamResponse>,
  containerId: string,
  execId = '',
): Promise<string> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    try {
      chunks.push((await read(agent.ReadStreamRequest.fromPartial({ containerId, execId, len: 4096 }))).data);
    } catch (error) {
      assertEof(error);
      return Buffer.concat(chunks).toString();
    }
  }
}

export function assertEof(error: unknown): void {
  assert.ok(error instanceof TtrpcError, `expected a TtrpcError, got ${String(error)}`);
  assert.equal(error.code, 13);
  assert.equal(error.description, 'EOF');
}

/** Whether a process with this pid exists (and is not a zombie waiting to be reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
