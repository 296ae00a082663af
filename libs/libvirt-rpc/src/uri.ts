/**
 * libvirt connection URIs, as libvirt's own client reads them: `driver[+transport]://[user@][host][:port]/path[?query]`.
 * The URI says how to reach the daemon (a unix socket here, or ssh to a remote host) and which
 * driver to open there; the daemon is handed the URI without its transport part.
 */

export type Transport =
  | { kind: 'unix'; socketPath: string }
  | {
      kind: 'ssh';
      host: string;
      port: string;
      user: string;
      keyfile: string;
      /** `no_verify=1`: accept an unknown host key, as libvirt does with StrictHostKeyChecking=no. */
      noVerify: boolean;
      command: string;
      netcat: string;
      socketPath: string;
      proxy: 'auto' | 'netcat' | 'native';
    };

export interface ParsedUri {
  /** What CONNECT_OPEN is given: `qemu:///system`, `test:///default`. */
  remoteName: string;
  transport: Transport;
}

export const SYSTEM_SOCKET = '/run/libvirt/libvirt-sock';

// Query parameters that configure the transport; libvirt keeps them out of the name it sends on.
const TRANSPORT_PARAMS = new Set([
  'socket',
  'no_verify',
  'keyfile',
  'command',
  'netcat',
  'proxy',
  'name',
  'mode',
  'no_tty',
  'known_hosts',
  'sshauth',
]);

/** Parses a libvirt URI; throws an error naming what is wrong with it. */
export function parseLibvirtUri(uri: string): ParsedUri {
  const match = /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\/([^/?]*)(\/[^?]*)?(?:\?(.*))?$/i.exec(uri.trim());
  if (!match) {
    throw new Error(
      `invalid libvirt URI ${JSON.stringify(uri)}: expected driver[+transport]://[user@host]/path, such as qemu:///system`,
    );
  }
  const [, driver, transportName = '', authority = '', path = '/', query = ''] = match;
  const params = new URLSearchParams(query);
  const kept = [...params].filter(([key]) => !TRANSPORT_PARAMS.has(key));
  const keptQuery = kept.length === 0 ? '' : `?${new URLSearchParams(kept).toString()}`;
  const remoteName = params.get('name') ?? `${driver!.toLowerCase()}://${path}${keptQuery}`;

  const at = authority.lastIndexOf('@');
  const user = at < 0 ? '' : decodeURIComponent(authority.slice(0, at));
  const hostPort = at < 0 ? authority : authority.slice(at + 1);
  const portMatch = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
  const host = (portMatch?.[1] ?? hostPort).replace(/^\[|\]$/g, '');
  const port = portMatch?.[2] ?? '';

  const transport = transportName.toLowerCase() || (host === '' ? 'unix' : 'tls');
  switch (transport) {
    case 'unix':
      if (host !== '')
        throw new Error(`invalid libvirt URI ${JSON.stringify(uri)}: the unix transport takes no host`);
      return { remoteName, transport: { kind: 'unix', socketPath: params.get('socket') ?? SYSTEM_SOCKET } };
    case 'ssh': {
      if (host === '') throw new Error(`invalid libvirt URI ${JSON.stringify(uri)}: ssh needs a host`);
      const proxy = params.get('proxy') ?? 'auto';
      if (proxy !== 'auto' && proxy !== 'netcat' && proxy !== 'native') {
        throw new Error(`invalid libvirt URI ${JSON.stringify(uri)}: proxy must be auto, netcat or native`);
      }
      return {
        remoteName,
        transport: {
          kind: 'ssh',
          host,
          port,
          user,
          keyfile: params.get('keyfile') ?? '',
          noVerify: params.get('no_verify') === '1',
          command: params.get('command') ?? 'ssh',
          netcat: params.get('netcat') ?? 'nc',
          socketPath: params.get('socket') ?? SYSTEM_SOCKET,
          proxy,
        },
      };
    }
    default:
      throw new Error(
        `libvirt URI ${JSON.stringify(uri)}: the ${transport} transport is not supported; use a local socket (qemu:///system, qemu+unix://) or qemu+ssh://`,
      );
  }
}

/** The argument vector for ssh: it runs the remote helper that joins stdio to the daemon's socket. */
export function sshArguments(transport: Extract<Transport, { kind: 'ssh' }>, remoteName: string): string[] {
  const args = ['-T', '-e', 'none', '-o', 'BatchMode=yes'];
  if (transport.port !== '') args.push('-p', transport.port);
  if (transport.user !== '') args.push('-l', transport.user);
  if (transport.keyfile !== '') args.push('-i', transport.keyfile);
  if (transport.noVerify) args.push('-o', 'StrictHostKeyChecking=no');
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const netcat = `${quote(transport.netcat)} -U ${quote(transport.socketPath)}`;
  const native = `virt-ssh-helper ${quote(remoteName)}`;
  const remote =
    transport.proxy === 'native'
      ? native
      : transport.proxy === 'netcat'
        ? netcat
        : `if command -v virt-ssh-helper >/dev/null 2>&1; then exec ${native}; else exec ${netcat}; fi`;
  args.push('--', transport.host, `sh -c ${quote(remote)}`);
  return args;
}
