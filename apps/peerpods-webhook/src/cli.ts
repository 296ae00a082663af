import {
  buildInfo,
  createProgram,
  type LogFlags,
  logOptions,
  parseHostPort,
  UsageError,
} from '@peerpods/cli';
import { createLogger, type LogFormat, type LogLevel } from '@peerpods/log';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { DEFAULT_CERT_DIR } from './serving-certs';

export const DEFAULT_RUNTIME_CLASS = 'kata-remote';
export const DEFAULT_EXTENDED_RESOURCE = 'kata.peerpods.io/vm';

interface Flags extends LogFlags {
  port: string;
  certDir: string;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  leaderElect?: boolean;
  zapDevel?: boolean;
  zapLogLevel?: string;
  zapEncoder?: string;
  zapStacktraceLevel?: string;
  zapTimeEncoding?: string;
}

export interface WebhookCliOptions {
  /** Told once the servers listen (tests). */
  onStarted?: (ports: { webhook: number; probes?: number }) => void;
  env?: NodeJS.ProcessEnv;
}

export function buildCli(options: WebhookCliOptions = {}): Command {
  const program = createProgram({
    info: buildInfo('peerpods-webhook', pkg.version),
    description:
      "Mutating admission webhook for peer pods (upstream's peer-pods-webhook). For pods of the target runtime " +
      "class (TARGET_RUNTIMECLASS, default kata-remote) it turns the containers' CPU, memory and GPU requests and " +
      'limits into the pod VM annotations, clears them, and has the first container request one ' +
      '$POD_VM_EXTENDED_RESOURCE (default kata.peerpods.io/vm), so the scheduler counts pod VMs per node. ' +
      'Serves /mutate-v1-pod over HTTPS with tls.crt and tls.key from --cert-dir (reloaded when they change); ' +
      'TLS_MIN_VERSION and TLS_CIPHER_SUITES set the TLS profile.',
  });
  for (const option of logOptions()) program.addOption(option);
  program
    .addOption(
      new Option('--port <port>', 'HTTPS port of the webhook (upstream: always 9443)').default('9443'),
    )
    .addOption(
      new Option(
        '--cert-dir <dir>',
        'where tls.crt and tls.key are (the chart mounts the secret here)',
      ).default(DEFAULT_CERT_DIR),
    )
    .addOption(
      new Option('--health-probe-bind-address <host:port>', '/healthz and /readyz ("0": off)').default(
        ':8081',
      ),
    )
    .addOption(
      new Option('--metrics-bind-address <host:port>', 'Prometheus metrics over HTTP ("0": off)').default(
        '0',
      ),
    )
    .addOption(
      new Option(
        '--leader-elect',
        "accepted for upstream's chart; every replica answers, so no leader is needed",
      ),
    )
    .addOption(new Option('--zap-devel', "accepted for upstream's chart (development logging)").hideHelp())
    .addOption(new Option('--zap-log-level <level>', 'as --log-level (debug, info, error)').hideHelp())
    .addOption(new Option('--zap-encoder <encoder>', 'json: as --log-format json').hideHelp())
    .addOption(new Option('--zap-stacktrace-level <level>', 'accepted, no effect').hideHelp())
    .addOption(new Option('--zap-time-encoding <encoding>', 'accepted, no effect').hideHelp())
    .action(async (flags: Flags) => {
      const env = options.env ?? process.env;
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`invalid value "${flags.port}" for --port: must be a port number`);
      const probes = optionalAddress(flags.healthProbeBindAddress, '-health-probe-bind-address');
      const metricsAddress = optionalAddress(flags.metricsBindAddress, '-metrics-bind-address');
      const log = await createLogger('webhook', logSettings(flags));
      const [{ parseTlsProfile }, { MUTATE_PATH, startWebhookServer }, { startProbeServer }] =
        await Promise.all([import('@peerpods/tls'), import('./webhook-server'), import('./probe-server')]);
      let tls: ReturnType<typeof parseTlsProfile>;
      try {
        tls = parseTlsProfile(
          { minVersion: env.TLS_MIN_VERSION, cipherSuites: env.TLS_CIPHER_SUITES },
          { minVersion: 'TLS_MIN_VERSION', cipherSuites: 'TLS_CIPHER_SUITES' },
        );
      } catch (error) {
        throw new Error(`invalid TLS configuration: ${(error as Error).message}`);
      }
      if (flags.leaderElect) log.info('--leader-elect: not needed, every replica answers reviews on its own');
      const metrics = metricsAddress
        ? await (await import('./webhook-metrics')).startWebhookMetrics(metricsAddress)
        : undefined;
      const closers: (() => Promise<void>)[] = [];
      if (metrics) closers.push(() => metrics.close());
      try {
        const webhook = await startWebhookServer({
          port,
          certDir: flags.certDir,
          tls,
          settings: () => ({
            runtimeClass: env.TARGET_RUNTIMECLASS || DEFAULT_RUNTIME_CLASS,
            extendedResource: env.POD_VM_EXTENDED_RESOURCE || DEFAULT_EXTENDED_RESOURCE,
          }),
          log,
          ...(metrics ? { onReview: metrics.review } : {}),
        });
        closers.push(() => webhook.close());
        const probeServer = probes ? await startProbeServer(probes) : undefined;
        if (probeServer) closers.push(() => probeServer.close());
        log.info(
          `serving ${MUTATE_PATH} on :${webhook.port} (TLS ${tls.minVersion} minimum) for runtime class ` +
            `${env.TARGET_RUNTIMECLASS || DEFAULT_RUNTIME_CLASS}, extended resource ${env.POD_VM_EXTENDED_RESOURCE || DEFAULT_EXTENDED_RESOURCE}`,
        );
        options.onStarted?.({ webhook: webhook.port, ...(probeServer ? { probes: probeServer.port } : {}) });
      } catch (error) {
        for (const close of closers.reverse()) await close();
        throw error;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          log.info(`received ${signal}, stopping`);
          resolve();
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      for (const close of closers.reverse()) await close();
    });
  return program;
}

/** controller-runtime's convention: "0" turns a server off. */
function optionalAddress(text: string, flag: string): { host: string; port: number } | undefined {
  if (text === '0' || text === '') return undefined;
  try {
    return parseHostPort(text, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** --log-format/--log-level, with upstream's zap flags read where they mean the same. */
function logSettings(flags: Flags): { format: LogFormat; level: LogLevel } {
  const zapLevels: Record<string, LogLevel> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };
  const level = (flags.zapLogLevel && zapLevels[flags.zapLogLevel]) || flags.logLevel;
  return { format: flags.zapEncoder === 'json' ? 'json' : flags.logFormat, level };
}
