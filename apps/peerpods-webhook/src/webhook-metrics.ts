import { loadPrometheus, startMetricsServer } from '@peerpods/metrics';
import type { ReviewOutcome } from './admission-review';

export interface WebhookMetrics {
  review(outcome: ReviewOutcome['outcome'], seconds: number): void;
  close(): Promise<void>;
}

/** -metrics-bind-address: reviews by outcome and their latency, plus Node's process metrics. */
export async function startWebhookMetrics(listen: { host: string; port: number }): Promise<WebhookMetrics> {
  const { prom, registry } = await loadPrometheus();
  const reviews = new prom.Histogram({
    name: 'peerpods_webhook_review_duration_seconds',
    help: 'AdmissionReviews answered, by outcome: mutated, skipped (another runtime class), rejected',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [registry],
  });
  const server = await startMetricsServer(registry, listen, { flag: '-metrics-bind-address' });
  return {
    review: (outcome, seconds) => reviews.observe({ outcome }, seconds),
    close: () => server.close(),
  };
}
