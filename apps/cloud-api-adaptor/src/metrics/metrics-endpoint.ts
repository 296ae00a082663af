import type { Logger } from '@peerpods/log';
import { loadPrometheus, startMetricsServer } from '@peerpods/metrics';
import { createDaemonMetrics, type DaemonMetrics } from './daemon-metrics';

export interface MetricsEndpoint {
  readonly metrics: DaemonMetrics;
  close(): Promise<void>;
}

/**
 * -metrics-addr: loads prom-client, registers the daemon's metrics and serves them. The port is
 * shared with SO_REUSEPORT, so a surge rollout's new daemon pod can listen while the old one still
 * does (both on the host network).
 */
export async function startMetricsEndpoint(
  address: { host: string; port: number },
  provider: string,
  log: Logger,
): Promise<MetricsEndpoint> {
  const { prom, registry } = await loadPrometheus();
  const metrics = createDaemonMetrics(prom, registry, provider);
  const server = await startMetricsServer(registry, address, { flag: '-metrics-addr', reusePort: true });
  log.info(`metrics on http://${formatHost(server.address.host)}:${server.address.port}/metrics`);
  let closing: Promise<void> | undefined;
  return {
    metrics,
    close: () => {
      closing ??= server.close();
      return closing;
    },
  };
}

const formatHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
