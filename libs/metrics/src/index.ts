export { callCounter } from './call-counter';
export { type MetricsServer, type ScrapeSource, startMetricsServer } from './metrics-server';
export { loadPrometheus, type MetricsRegistry, type PromClient, type Prometheus } from './prometheus';
