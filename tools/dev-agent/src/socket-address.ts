/** Where kata-agent listens by default, and so where the forwarder looks. */
export const DEFAULT_SOCKET = '/run/kata-containers/agent.sock';

/** kata-agent reads its listen address from this variable too, so one environment serves either agent. */
export const SERVER_ADDR_ENV = 'KATA_AGENT_SERVER_ADDR';

const UNIX_SCHEME = 'unix://';

/**
 * The socket path: `--socket` when given, else `KATA_AGENT_SERVER_ADDR` when it is `unix://<path>`,
 * else the default. Any other address (vsock://, tcp://…) is refused: the dev-agent only does unix sockets.
 */
export function resolveSocketPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) {
    if (flag === '') throw new Error('--socket: the path is empty');
    return flag;
  }
  const address = env[SERVER_ADDR_ENV];
  if (address === undefined || address === '') return DEFAULT_SOCKET;
  const path = address.startsWith(UNIX_SCHEME) ? address.slice(UNIX_SCHEME.length) : '';
  if (path === '') {
    throw new Error(
      `${SERVER_ADDR_ENV}=${address} is not supported: dev-agent only listens on unix://<path> addresses`,
    );
  }
  return path;
}
