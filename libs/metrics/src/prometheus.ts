import { loadLazyModule } from '@peerpods/cli';

export type PromClient = typeof import('prom-client');
export type MetricsRegistry = import('prom-client').Registry;

/** prom-client and a registry holding the process's own metrics (CPU, memory, event-loop lag). */
export interface Prometheus {
  prom: PromClient;
  registry: MetricsRegistry;
}

/**
 * Loads prom-client (a lazy chunk in the built binary, so a daemon without -metrics-addr and
 * --help never parse it) and makes a registry with Node's process metrics in it.
 */
export async function loadPrometheus(): Promise<Prometheus> {
  const prom = await loadLazyModule<PromClient>(
    'metrics',
    {},
    () => import('@peerpods/metrics/implementation'),
  );
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry });
  return { prom, registry };
}
