import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';

export interface StartupProbeOptions {
  /** `PROBE_PORT`, default 8000; on 127.0.0.1 only. */
  port: number;
  /** The hypervisor socket: the probe succeeds only while it accepts connections. */
  socketPath: string;
  /** Resolves once every sandbox recorded by the previous run is adopted or dropped. */
  recovered: Promise<unknown>;
}

/** Whether a unix socket accepts a connection now. */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Upstream's startup probe, `GET /startup` on 127.0.0.1:${PROBE_PORT}: 500 until the hypervisor
 * socket accepts a connection and the start-up is done, then 200 while the socket accepts. Upstream
 * waits until every kata-remote pod on the node is Ready again after its start (pods it lost and
 * kubelet recreated). This daemon loses no pods, so its condition is that every sandbox the previous
 * run recorded has been adopted or dropped. SO_REUSEPORT, as upstream: the new pod of a surge
 * rollout binds the port while the old one still runs.
 */
export async function startStartupProbe(options: StartupProbeOptions): Promise<Server> {
  let recovered = false;
  void options.recovered.then(
    () => {
      recovered = true;
    },
    () => {
      recovered = true;
    },
  );
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/startup') {
      response.writeHead(404).end('not found\n');
      return;
    }
    void accepts(options.socketPath).then((up) => {
      const ok = up && recovered;
      const why = !up
        ? `${options.socketPath} does not accept connections`
        : 'adopting the sandboxes of the previous run';
      response.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : `${why}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port, reusePort: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
