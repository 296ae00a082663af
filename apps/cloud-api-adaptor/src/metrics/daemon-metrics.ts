import { callCounter, type MetricsRegistry, type PromClient } from '@peerpods/metrics';
import type { CloudApiCall } from '@peerpods/providers';
import { codeName } from '@peerpods/ttrpc';
import type { SandboxState } from '../sandbox';

export type HypervisorMethod = 'CreateVM' | 'StartVM' | 'StopVM';
export type Outcome = 'success' | 'error';

/** What the sandboxes look like at a scrape. */
export interface SandboxCensus {
  byState: Readonly<Record<SandboxState, number>>;
  /** Sandboxes whose worker side of the tunnel is up. */
  tunnels: number;
}

export interface SweepReport {
  outcome: Outcome;
  /** Instances the round deleted, and the deletes that failed. */
  deleted: number;
  failedDeletes: number;
}

/**
 * The daemon's metrics. Each component is handed the one hook it reports to; without
 * -metrics-addr there is no DaemonMetrics at all, and the hooks are never called.
 */
export interface DaemonMetrics {
  hypervisorCall(method: HypervisorMethod, outcome: Outcome, seconds: number): void;
  /** One step of a StartVM that got that far: `instance`, `tunnel`, `proxy`. */
  startPhase(phase: string, seconds: number): void;
  cloudApiCall(call: CloudApiCall): void;
  /** One agent call the proxy forwarded, by its ttrpc status code. */
  agentCall(method: string, code: number): void;
  orphanSweep(report: SweepReport): void;
  /** Read at every scrape for the sandbox and tunnel gauges. */
  watchSandboxes(census: () => SandboxCensus): void;
}

const STATES: readonly SandboxState[] = ['creating', 'created', 'starting', 'running', 'stopping'];

// From a CreateVM's milliseconds to a StartVM that waits minutes for a cloud instance to boot.
const LIFECYCLE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const API_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** prom-client metrics for one daemon, registered in `registry`; `provider` labels the cloud calls. */
export function createDaemonMetrics(
  prom: PromClient,
  registry: MetricsRegistry,
  provider: string,
): DaemonMetrics {
  const registers = [registry];
  const hypervisorSeconds = new prom.Histogram({
    name: 'peerpods_hypervisor_request_duration_seconds',
    help: 'hypervisor.Hypervisor calls from the kata shim, by method and outcome',
    labelNames: ['method', 'outcome'],
    buckets: LIFECYCLE_BUCKETS,
    registers,
  });
  const phaseSeconds = new prom.Histogram({
    name: 'peerpods_startvm_phase_duration_seconds',
    help: 'StartVM split into its steps: instance (the cloud call until the IPs are known), tunnel, proxy (until the forwarder answers)',
    labelNames: ['phase'],
    buckets: LIFECYCLE_BUCKETS,
    registers,
  });
  const apiCalls = new prom.Counter({
    name: 'peerpods_cloud_api_requests_total',
    help: 'cloud API calls the provider made, by operation and outcome (retries included in one call)',
    labelNames: ['provider', 'operation', 'outcome'],
    registers,
  });
  const apiRetries = new prom.Counter({
    name: 'peerpods_cloud_api_retries_total',
    help: "requests the provider's SDK sent again after a failed attempt",
    labelNames: ['provider', 'operation'],
    registers,
  });
  const apiThrottles = new prom.Counter({
    name: 'peerpods_cloud_api_throttled_total',
    help: 'attempts the cloud refused as throttled (HTTP 429, RequestLimitExceeded, ...)',
    labelNames: ['provider', 'operation'],
    registers,
  });
  const apiSeconds = new prom.Histogram({
    name: 'peerpods_cloud_api_request_duration_seconds',
    help: 'cloud API calls, retries and their waits included',
    labelNames: ['provider', 'operation'],
    buckets: API_BUCKETS,
    registers,
  });
  const agentCall = callCounter(
    prom,
    {
      name: 'peerpods_agent_proxy_calls_total',
      help: 'kata agent calls the proxies forwarded to pod VMs, by method and ttrpc status code',
      registers,
    },
    codeName,
  );
  const sweeps = new prom.Counter({
    name: 'peerpods_orphan_sweeps_total',
    help: 'orphan sweep rounds, by outcome (error: the instances could not be listed)',
    labelNames: ['outcome'],
    registers,
  });
  const sweepDeletes = new prom.Counter({
    name: 'peerpods_orphan_sweep_deletions_total',
    help: 'orphan pod VMs the sweeps deleted, or failed to',
    labelNames: ['outcome'],
    registers,
  });
  let census: (() => SandboxCensus) | undefined;
  new prom.Gauge({
    name: 'peerpods_sandboxes',
    help: 'sandboxes this daemon holds, by state',
    labelNames: ['state'],
    registers,
    collect() {
      const now = census?.();
      for (const state of STATES) this.set({ state }, now?.byState[state] ?? 0);
    },
  });
  new prom.Gauge({
    name: 'peerpods_tunnels',
    help: 'pod network tunnels up on this worker',
    registers,
    collect() {
      this.set(census?.().tunnels ?? 0);
    },
  });
  for (const outcome of ['success', 'error'] as const) sweeps.inc({ outcome }, 0);
  for (const outcome of ['deleted', 'failed'] as const) sweepDeletes.inc({ outcome }, 0);

  return {
    hypervisorCall: (method, outcome, seconds) => hypervisorSeconds.observe({ method, outcome }, seconds),
    startPhase: (phase, seconds) => phaseSeconds.observe({ phase }, seconds),
    cloudApiCall: ({ operation, outcome, attempts, throttled, seconds }) => {
      apiCalls.inc({ provider, operation, outcome });
      if (attempts > 1) apiRetries.inc({ provider, operation }, attempts - 1);
      if (throttled > 0) apiThrottles.inc({ provider, operation }, throttled);
      apiSeconds.observe({ provider, operation }, seconds);
    },
    agentCall,
    orphanSweep: ({ outcome, deleted, failedDeletes }) => {
      sweeps.inc({ outcome });
      if (deleted > 0) sweepDeletes.inc({ outcome: 'deleted' }, deleted);
      if (failedDeletes > 0) sweepDeletes.inc({ outcome: 'failed' }, failedDeletes);
    },
    watchSandboxes: (read) => {
      census = read;
    },
  };
}
