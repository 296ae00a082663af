import type { Server } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Logger } from '@peerpods/log';
import { callCounter, loadPrometheus, startMetricsServer } from '@peerpods/metrics';
import { codeName } from '@peerpods/ttrpc';

/** What the forwarder reports: calls by method and code, and its connections from the worker. */
export interface ForwarderMetrics {
  /** Where /metrics is served (the real port when 0 was asked for). */
  readonly address: { host: string; port: number };
  call(method: string, code: number): void;
  /** The listener whose connections and TLS handshake failures are counted. */
  watchListener(listener: Server): void;
  close(): Promise<void>;
}

/** --metrics-addr: a smaller set than the daemon's, in the pod VM. */
export async function startForwarderMetrics(
  address: { host: string; port: number },
  log: Logger,
): Promise<ForwarderMetrics> {
  const { prom, registry } = await loadPrometheus();
  const registers = [registry];
  const call = callCounter(
    prom,
    {
      name: 'peerpods_forwarder_calls_total',
      help: 'kata agent calls forwarded to kata-agent, by method and ttrpc status code',
      registers,
    },
    codeName,
  );
  const accepted = new prom.Counter({
    name: 'peerpods_forwarder_connections_total',
    help: 'connections accepted from cloud-api-adaptor (TLS handshakes completed, when TLS is on)',
    registers,
  });
  const handshakeFailures = new prom.Counter({
    name: 'peerpods_forwarder_tls_handshake_failures_total',
    help: 'connections whose TLS handshake failed (no or a wrong client certificate, ...)',
    registers,
  });
  let listener: Server | undefined;
  new prom.Gauge({
    name: 'peerpods_forwarder_open_connections',
    help: 'connections open now',
    registers,
    async collect() {
      const open = listener
        ? await new Promise<number>((resolve) =>
            listener!.getConnections((error, count) => resolve(error ? 0 : count)),
          )
        : 0;
      this.set(open);
    },
  });
  const server = await startMetricsServer(registry, address, { flag: '-metrics-addr' });
  log.info(`metrics on http://${server.address.host}:${server.address.port}/metrics`);
  return {
    address: server.address,
    call,
    watchListener: (watched) => {
      listener = watched;
      // A TLS server says a connection is usable with secureConnection; a plain one with connection.
      const isTls = watched instanceof TlsServer;
      watched.on(isTls ? 'secureConnection' : 'connection', () => accepted.inc());
      if (isTls) watched.on('tlsClientError', () => handshakeFailures.inc());
    },
    close: () => server.close(),
  };
}
