import { constants as osConstants } from 'node:os';
import { buildInfo, createProgram, UsageError, versionText } from '@peerpods/cli';
import { addOptions, collectFlags, logSettings, parseGoDuration, resolveOptions } from '@peerpods/config';
import { createLogger } from '@peerpods/log';
import type { WorkerNetwork } from '@peerpods/podnetwork';
import type { ProviderFactory, ProviderRegistry } from '@peerpods/providers';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { COMMON_OPTIONS } from './common-options';
import type { RunningDaemon } from './daemon';
import { daemonConfig, ownerFrom } from './daemon-config';
import { warnIneffectiveFlags } from './ineffective-flags';
import { builtInProviders } from './providers';
import { SignalGate } from './signal-gate';

export interface CliOptions {
  registry?: ProviderRegistry;
  /** Replaces the worker network (tests); default: the stub until pod networking lands. */
  network?: WorkerNetwork;
  /** Called once the daemon serves (tests). */
  onStarted?: (daemon: RunningDaemon) => void;
}

export function buildCli(options: CliOptions = {}): Command {
  const info = buildInfo('cloud-api-adaptor', pkg.version);
  const registry = options.registry ?? builtInProviders();
  const program = createProgram({
    info,
    versionSubcommand: true,
    description:
      'Peer-pods worker daemon. Serves the kata remote-hypervisor service on a unix socket, creates a ' +
      'pod VM per sandbox through a cloud provider, and proxies the kata agent API to it over mutual TLS. ' +
      `Providers: ${registry.names().join(', ') || '(none in this build)'}.`,
  }).usage('<provider> [options] | help | version');

  for (const name of registry.names()) {
    const factory = registry.get(name)!;
    const specs = [...COMMON_OPTIONS, ...factory.options];
    const command = program.command(name).description(factory.description);
    addOptions(command, specs);
    if (factory.sweeper) {
      // Options after `sweep` are the sweep's, not taken by `<provider>` (which knows the same names).
      program.enablePositionalOptions();
      command.enablePositionalOptions();
      addSweepCommand(command, factory);
    }
    command.action(async () => {
      const { values, sources } = resolveOptions(specs, collectFlags(command, specs));
      const config = daemonConfig(values);
      const log = await createLogger('adaptor', { format: config.logFormat, level: config.logLevel });
      if (config.logFormat === 'json') {
        // Every line JSON: the banner is one record with fields (the configuration follows as another).
        log.info('starting Cloud API Adaptor daemon', {
          version: info.version,
          commit: info.commit,
          node: process.version,
          provider: name,
        });
      } else {
        process.stdout.write(versionText(info));
        process.stdout.write(`cloud-api-adaptor: starting Cloud API Adaptor daemon for "${name}"\n`);
      }
      warnIneffectiveFlags(sources, log);
      // Listening for signals before the start: one that arrives while the socket is being set up
      // (the "server started" line is out) must still stop the daemon in order, not kill it.
      let daemon: RunningDaemon | undefined;
      const gate = new SignalGate();
      let stopped!: () => void;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      const stop = (signal: NodeJS.Signals) => {
        const decision = gate.decide(performance.now());
        if (decision === 'ignore') return;
        if (decision === 'exit') {
          log.warn(`received ${signal} again: exiting without finishing the clean-up`);
          process.exit(128 + (osConstants.signals[signal] ?? 15));
        }
        log.info(`received ${signal}`);
        daemon?.stop().then(stopped, stopped);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      try {
        // Loaded here, not at the top: --help and --version never pay for the daemon's modules.
        const { startDaemon } = await import('./daemon');
        daemon = await startDaemon({ config, factory, values, log, network: options.network });
      } catch (error) {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        throw error;
      }
      options.onStarted?.(daemon);
      if (gate.requested) daemon.stop().then(stopped, stopped);
      // The handlers stay until exit (they do not keep the process alive): an echo of the same
      // Ctrl-C arriving after "stopped" must not kill the daemon with a signal status.
      await done;
    });
  }
  return program;
}

// The options a sweep needs besides the provider's: where a running daemon would be, and whose VMs.
const SWEEP_COMMON = COMMON_OPTIONS.filter((spec) =>
  ['socket', 'peerpods-cluster-id', 'log-format', 'log-level'].includes(spec.flag),
);

function addSweepCommand(parent: Command, factory: ProviderFactory): void {
  const specs = [...SWEEP_COMMON, ...factory.options];
  const command = parent
    .command('sweep')
    .description(
      `deletes the ${factory.name} pod VMs this node owns (tagged with its node name, NODE_NAME else the host name, ` +
        'and -peerpods-cluster-id), left behind by a crash. Run it while cloud-api-adaptor is stopped: ' +
        'with a daemon serving -socket only --dry-run is allowed, as every owned VM may be a live pod',
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--min-age <duration>', 'only VMs at least this old (Go duration: 10m, 1h)', '0s');
  addOptions(command, specs);
  command.action(async () => {
    const { values } = resolveOptions(specs, collectFlags(command, specs));
    const owner = ownerFrom(values);
    const { format, level } = logSettings(values);
    const log = await createLogger('sweep', { format, level });
    const flags = command.opts<{ dryRun?: boolean; minAge: string }>();
    let minAgeMs: number;
    try {
      minAgeMs = parseGoDuration(flags.minAge);
    } catch (error) {
      throw new UsageError(`--min-age: ${(error as Error).message}`);
    }
    const { sweep } = await import('./sweep');
    const result = await sweep({
      factory,
      values,
      context: { log: (message) => log.child(`cloud/${factory.name}`).info(message), owner },
      socketPath: String(values.socket),
      dryRun: flags.dryRun === true,
      minAgeMs,
      out: (line) => {
        const writeOut = command.configureOutput().writeOut ?? ((text: string) => process.stdout.write(text));
        writeOut(`${line}\n`);
      },
    });
    if (result.failed.length > 0) process.exitCode = 1;
  });
}
