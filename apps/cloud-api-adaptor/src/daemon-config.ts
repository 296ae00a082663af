import { parseHostPort } from '@peerpods/cli';
import { ConfigError, logSettings, type OptionValues } from '@peerpods/config';
import type { LogFormat, LogLevel } from '@peerpods/log';
import { nodeNameFrom, type Owner } from '@peerpods/providers';

/** The daemon's own settings, typed and validated, from the resolved common options. */
export interface DaemonConfig {
  socketPath: string;
  podsDir: string;
  forwarderPort: number;
  caCertFile: string;
  certFile: string;
  certKey: string;
  tlsSkipVerify: boolean;
  tlsMinVersion: string;
  tlsCipherSuites: string;
  proxyTimeoutMs: number;
  vxlanPort: number;
  vxlanMinId: number;
  hostInterface: string;
  initdata: string;
  cloudConfigVerify: boolean;
  peerpodsLimitPerNode: number;
  enableScratchSpace: boolean;
  disableTls: boolean;
  keepPodsOnExit: boolean;
  /** 0: no periodic sweep (and none at start). */
  orphanSweepIntervalMs: number;
  orphanSweepGraceMs: number;
  orphanSweepDryRun: boolean;
  /** Where /metrics is served; absent: no metrics at all (prom-client is not even loaded). */
  metricsAddress: { host: string; port: number } | undefined;
  /** Whose pod VMs these are (ownership tags). */
  owner: Owner;
  logFormat: LogFormat;
  logLevel: LogLevel;
}

function inRange(flag: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`invalid value "${value}" for -${flag}: must be an integer from ${min} to ${max}`);
  }
  return value;
}

function nonNegative(flag: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new ConfigError(`invalid value for -${flag}: must not be negative`);
  return ms;
}

// A tag value in every cloud, and a filter value in their list calls.
function clusterId(value: string): string {
  if (!/^[A-Za-z0-9._-]{0,128}$/.test(value)) {
    throw new ConfigError(
      `invalid value ${JSON.stringify(value)} for -peerpods-cluster-id: up to 128 of A-Z a-z 0-9 . _ -`,
    );
  }
  return value;
}

function metricsAddress(text: string): { host: string; port: number } | undefined {
  if (text === '') return undefined;
  try {
    return parseHostPort(text, '-metrics-addr');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Whose pod VMs this daemon makes: this node (NODE_NAME, else the host name) in -peerpods-cluster-id. */
export function ownerFrom(values: OptionValues, env: NodeJS.ProcessEnv = process.env): Owner {
  return { nodeName: nodeNameFrom(env), clusterId: clusterId(String(values['peerpods-cluster-id'] ?? '')) };
}

export function daemonConfig(values: OptionValues): DaemonConfig {
  const text = (flag: string) => String(values[flag] ?? '');
  const num = (flag: string) => Number(values[flag]);
  const bool = (flag: string) => values[flag] === true;
  if (text('tunnel-type') !== 'vxlan') {
    throw new ConfigError(
      `invalid value "${text('tunnel-type')}" for -tunnel-type: only "vxlan" is supported`,
    );
  }
  const { format: logFormat, level: logLevel } = logSettings(values);
  const proxyTimeoutMs = num('proxy-timeout');
  if (proxyTimeoutMs <= 0) throw new ConfigError(`invalid value for -proxy-timeout: must be positive`);
  for (const flag of ['socket', 'pods-dir']) {
    if (!text(flag).startsWith('/'))
      throw new ConfigError(`invalid value "${text(flag)}" for -${flag}: must be an absolute path`);
  }
  return {
    socketPath: text('socket'),
    podsDir: text('pods-dir'),
    forwarderPort: inRange('forwarder-port', num('forwarder-port'), 1, 65535),
    caCertFile: text('ca-cert-file'),
    certFile: text('cert-file'),
    certKey: text('cert-key'),
    tlsSkipVerify: bool('tls-skip-verify'),
    tlsMinVersion: text('tls-min-version'),
    tlsCipherSuites: text('tls-cipher-suites'),
    proxyTimeoutMs,
    vxlanPort: inRange('vxlan-port', num('vxlan-port'), 1, 65535),
    vxlanMinId: inRange('vxlan-min-id', num('vxlan-min-id'), 1, 0xffffff),
    hostInterface: text('host-interface'),
    initdata: text('initdata'),
    cloudConfigVerify: bool('cloud-config-verify'),
    peerpodsLimitPerNode: num('peerpods-limit-per-node'),
    enableScratchSpace: bool('enable-scratch-space'),
    disableTls: bool('disable-tls'),
    keepPodsOnExit: bool('keep-pods-on-exit'),
    orphanSweepIntervalMs: nonNegative('orphan-sweep-interval', num('orphan-sweep-interval')),
    orphanSweepGraceMs: nonNegative('orphan-sweep-grace', num('orphan-sweep-grace')),
    orphanSweepDryRun: bool('orphan-sweep-dry-run'),
    metricsAddress: metricsAddress(text('metrics-addr')),
    owner: ownerFrom(values),
    logFormat,
    logLevel,
  };
}
