import type tls from 'node:tls';
import type { Logger } from '@peerpods/log';
import { AgentService, HealthService, methodNames } from '@peerpods/protocols';
import { forwardingMethods, TtrpcServer } from '@peerpods/ttrpc';
import { AgentConnection } from './agent-connection';
import type { ForwarderMetrics } from './forwarder-metrics';
import { forwarderInterceptors } from './interceptors';

export interface ForwarderOptions {
  listen: { host: string; port: number };
  kataAgentSocket: string;
  podNamespace: string;
  tls: tls.TlsOptions | undefined;
  log: Logger;
  agentDialBudgetMs?: number;
  /** --metrics-addr: told of every call and connection. */
  metrics?: Pick<ForwarderMetrics, 'call' | 'watchListener'>;
}

export interface RunningForwarder {
  /** The bound address (the port is real even when 0 was asked for). */
  readonly address: { host: string; port: number };
  stop(graceMs?: number): Promise<void>;
}

/**
 * Serves grpc.AgentService and grpc.Health and forwards every call to kata-agent as raw bytes; only
 * CreateContainer and CreateSandbox are decoded, changed and re-encoded (interceptors.ts).
 */
export async function startForwarder(options: ForwarderOptions): Promise<RunningForwarder> {
  const interceptorLog = options.log.child('interceptor');
  const agentConnection = new AgentConnection(
    options.kataAgentSocket,
    options.log,
    options.agentDialBudgetMs,
  );
  const upstream = (call: Parameters<AgentConnection['current']>[0]) => agentConnection.current(call);
  const counted = options.metrics ? { onFinished: options.metrics.call } : {};
  const server = new TtrpcServer({ log: (message) => options.log.warn(message) })
    .register(
      AgentService.fullName,
      forwardingMethods(methodNames(AgentService), upstream, {
        interceptors: forwarderInterceptors(options.podNamespace, interceptorLog),
        ...counted,
      }),
    )
    .register(HealthService.fullName, forwardingMethods(methodNames(HealthService), upstream, counted));
  const listener = await server.listen({ ...options.listen, tls: options.tls });
  options.metrics?.watchListener(listener);
  const bound = listener.address() as { address: string; port: number };
  return {
    address: { host: bound.address, port: bound.port },
    stop: async (graceMs = 5000) => {
      await server.shutdown(graceMs);
      agentConnection.close();
    },
  };
}
