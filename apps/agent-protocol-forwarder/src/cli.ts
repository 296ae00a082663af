import { readFile } from 'node:fs/promises';
import { buildInfo, createProgram, type LogFlags, logOptions, parseHostPort } from '@peerpods/cli';
import { createLogger } from '@peerpods/log';
import type { PodVmNetwork } from '@peerpods/podnetwork';
import { notifyServiceManager } from '@peerpods/sd-notify';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import type { RunningForwarder } from './forwarder';
import type { ForwarderMetrics } from './forwarder-metrics';
import { readImageWarning } from './image-variant';

export interface ForwarderCliOptions {
  /** The pod-VM side of pod networking; default: the real VXLAN tunnel (tests pass a no-op). */
  network?: PodVmNetwork;
  /** The image's os-release, read for its development label; default /etc/os-release. */
  osReleasePath?: string;
  onStarted?: (forwarder: RunningForwarder) => void;
}

interface Flags extends LogFlags {
  config: string;
  listen: string;
  kataAgentSocket: string;
  podNamespace: string;
  hostInterface?: string;
  caCertFile?: string;
  certFile?: string;
  certKey?: string;
  tlsSkipVerify?: boolean;
  disableTls?: boolean;
  metricsAddr: string;
}

export function buildCli(options: ForwarderCliOptions = {}): Command {
  const info = buildInfo('agent-protocol-forwarder', pkg.version);
  const program = createProgram({
    info,
    description:
      'Runs inside the pod VM. Listens for cloud-api-adaptor over mutual TLS, sets up the pod network ' +
      "namespace, and forwards the kata agent protocol to kata-agent's unix socket.",
  });
  for (const option of logOptions()) program.addOption(option);
  program
    .addOption(
      new Option('--config <path>', 'forwarder configuration written by cloud-api-adaptor').default(
        '/run/peerpod/apf.json',
      ),
    )
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('0.0.0.0:15150'))
    .addOption(
      new Option('--kata-agent-socket <path>', "kata-agent's ttrpc socket").default(
        '/run/kata-containers/agent.sock',
      ),
    )
    .addOption(
      new Option('--pod-namespace <path>', 'network namespace the pod runs in').default('/run/netns/podns'),
    )
    .addOption(
      new Option('--host-interface <name>', 'interface that carries the tunnel (default: the primary one)'),
    )
    .addOption(
      new Option(
        '--ca-cert-file <path>',
        'CA that client certificates must chain to (default: apf.json tls-client-ca)',
      ),
    )
    .addOption(new Option('--cert-file <path>', 'server certificate (default: apf.json tls-server-cert)'))
    .addOption(new Option('--cert-key <path>', 'server private key (default: apf.json tls-server-key)'))
    .addOption(new Option('--tls-skip-verify', 'do not verify client certificates (testing only)'))
    .addOption(new Option('--disable-tls', 'listen on plain TCP (testing only)'))
    .addOption(
      new Option(
        '--metrics-addr <host:port>',
        'serve Prometheus metrics on http://host:port/metrics (":9091": all addresses; default: off)',
      ).default(''),
    )
    .action(async (flags: Flags) => {
      const log = await createLogger('forwarder', { format: flags.logFormat, level: flags.logLevel });
      const imageWarning = await readImageWarning(options.osReleasePath);
      if (imageWarning) log.warn(imageWarning);
      const listen = parseHostPort(flags.listen, '-listen');
      const metricsAddress = flags.metricsAddr
        ? parseHostPort(flags.metricsAddr, '-metrics-addr')
        : undefined;
      // Loaded here, not at the top: --help and --version never pay for these modules.
      const [{ parseApfConfig }, { startForwarder }, { forwarderTlsOptions }, { VxlanPodVmNetwork }] =
        await Promise.all([
          import('@peerpods/apf-config'),
          import('./forwarder'),
          import('./tls-settings'),
          import('@peerpods/podnetwork'),
        ]);
      const apf = parseApfConfig(await readConfig(flags.config), flags.config);
      const network = options.network ?? new VxlanPodVmNetwork({ onWaiting: (why) => log.info(why) });
      // The pod's interface must exist before the first CreateContainer can join its namespace.
      await network.setup({
        podNetwork: apf.podNetwork,
        podNamespacePath: flags.podNamespace,
        hostInterface: flags.hostInterface,
      });
      let forwarder: RunningForwarder;
      let metrics: ForwarderMetrics | undefined;
      try {
        const tls = await forwarderTlsOptions(flags, apf, flags.config, log);
        if (metricsAddress) {
          const { startForwarderMetrics } = await import('./forwarder-metrics');
          metrics = await startForwarderMetrics(metricsAddress, log);
        }
        forwarder = await startForwarder({
          listen,
          kataAgentSocket: flags.kataAgentSocket,
          podNamespace: flags.podNamespace,
          tls,
          log,
          metrics,
        });
      } catch (error) {
        await metrics?.close();
        await network.teardown();
        throw error;
      }
      log.info(
        `listening on ${forwarder.address.host}:${forwarder.address.port} (${flags.disableTls ? 'plain TCP' : 'TLS'}) ` +
          `for pod ${apf.podNamespace}/${apf.podName}; kata-agent at ${flags.kataAgentSocket}`,
      );
      // Handlers first: systemd (or a test) may send SIGTERM the moment it reads READY=1.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          log.info(`received ${signal}, stopping`);
          notifyServiceManager('STOPPING=1', (message) => log.warn(message))
            .then(() => forwarder.stop())
            .then(() => metrics?.close())
            .then(() => network.teardown())
            .then(resolve, resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      // From this process: upstream's units are Type=notify without NotifyAccess=all.
      await notifyServiceManager('READY=1', (message) => log.warn(message));
      options.onStarted?.(forwarder);
      await stopped;
    });
  return program;
}

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`reading the forwarder configuration ${path}: ${(error as Error).message}`);
  }
}
