import { buildInfo, createProgram } from '@peerpods/cli';
import { createLogger } from '@peerpods/log';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { type RunningDevAgent, startDevAgent } from './dev-agent';
import { DEFAULT_SOCKET, resolveSocketPath, SERVER_ADDR_ENV } from './socket-address';

export const AGENT_VERSION = `${pkg.version}-dev-agent`;

export const NO_ISOLATION_WARNING =
  'dev-agent is a stand-in for kata-agent for demos and tests only: container processes run ' +
  'as plain host processes with NO isolation (no VM, no cgroups, no mount/pid/user namespaces); never use it in production';

export interface DevAgentCliOptions {
  onStarted?: (agent: RunningDevAgent) => void;
}

interface Flags {
  socket?: string;
  netns?: string;
}

export function buildCli(options: DevAgentCliOptions = {}): Command {
  const program = createProgram({
    info: buildInfo('dev-agent', pkg.version),
    description:
      'FOR DEMOS AND TESTS ONLY. A stand-in for kata-agent: serves grpc.AgentService and grpc.Health ' +
      '(ttrpc) on a unix socket and runs container processes as plain child processes with NO isolation ' +
      '(only the network namespace is entered). Never run it in production.',
  });
  program
    .addOption(
      new Option(
        '--socket <path>',
        `unix socket to serve on (default: ${DEFAULT_SOCKET}, or the path of ${SERVER_ADDR_ENV}=unix://<path>)`,
      ),
    )
    .addOption(
      new Option(
        '--netns <path>',
        "network namespace ListInterfaces/ListRoutes read (default: the latest container's, else the agent's own)",
      ),
    )
    .action(async (flags: Flags) => {
      const log = await createLogger('dev-agent');
      const socket = resolveSocketPath(flags.socket);
      log.warn(NO_ISOLATION_WARNING);
      const agent = await startDevAgent({ socket, log, agentVersion: AGENT_VERSION, netns: flags.netns });
      log.info(`serving grpc.AgentService and grpc.Health on ${socket}`);
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          log.info(`received ${signal}, killing every process started and stopping`);
          agent.stop().then(resolve, (error: unknown) => {
            log.error(`stopping: ${error instanceof Error ? error.message : String(error)}`);
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        options.onStarted?.(agent);
      });
      log.info('stopped');
    });
  return program;
}
