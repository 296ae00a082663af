import { rmSync } from 'node:fs';
import type { Logger } from '@peerpods/log';
import { TtrpcServer } from '@peerpods/ttrpc';
import { agentMethods } from './agent-service';
import { healthMethods } from './health-service';
import { ProcessTable } from './process-table';

export interface DevAgentOptions {
  readonly socket: string;
  readonly log: Logger;
  readonly agentVersion: string;
  /** Namespace ListInterfaces/ListRoutes read (a path); default: the latest container's. */
  readonly netns?: string;
  /** Per output stream, bytes buffered before the pipe is paused; default 16 MiB. */
  readonly streamCap?: number;
}

export interface RunningDevAgent {
  readonly socket: string;
  readonly table: ProcessTable;
  /** Stops accepting, kills every process it started, removes the socket. */
  stop(): Promise<void>;
}

/** Serves grpc.AgentService and grpc.Health on a unix socket (its directory is created, a stale file replaced). */
export async function startDevAgent(options: DevAgentOptions): Promise<RunningDevAgent> {
  const table = new ProcessTable({ streamCap: options.streamCap });
  const server = new TtrpcServer({
    // EOF is how every output stream ends, not a failure worth a line.
    log: (message: string) => {
      if (!message.endsWith(' failed: EOF')) options.log.info(message);
    },
  })
    .register(
      'grpc.AgentService',
      agentMethods({ table, log: options.log, agentVersion: options.agentVersion, netns: options.netns }),
    )
    .register('grpc.Health', healthMethods(options.agentVersion));
  await server.listen({ path: options.socket });
  let stopping: Promise<void> | undefined;
  return {
    socket: options.socket,
    table,
    stop: () => {
      stopping ??= (async () => {
        // Killing first ends every stream, so pending ReadStdout/WaitProcess calls answer before the drain.
        const closing = server.shutdown(2_000);
        await table.clear();
        await closing;
        rmSync(options.socket, { force: true });
      })();
      return stopping;
    },
  };
}
