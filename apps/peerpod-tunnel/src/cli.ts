import { readFile } from 'node:fs/promises';
import { buildInfo, createProgram, type LogFlags, logOptions } from '@peerpods/cli';
import { createLogger, type Logger } from '@peerpods/log';
import { type CommandRunner, tracingRunner } from '@peerpods/netops';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import type { TunnelFlags } from './tunnel-commands';

// Each command loads its modules when it runs, so --help and --version never pay for them.
const apfConfig = () => import('@peerpods/apf-config');
const tunnels = () => import('./tunnel-commands');

function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

function tunnelOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--host-interface <name>', 'worker interface for the tunnel (default: the primary one)'),
    )
    .addOption(
      new Option('--vxlan-port <port>', 'VXLAN UDP port')
        .argParser(integer('--vxlan-port', 1, 65535))
        .default(4789),
    )
    .addOption(
      new Option('--vxlan-min-id <vni>', 'first VNI; a tunnel gets this plus its index')
        .argParser(integer('--vxlan-min-id', 1, 0xffffff))
        .default(555000),
    );
}

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 4)}\n`);
};

async function readApf(path: string) {
  try {
    return (await apfConfig()).parseApfConfig(await readFile(path, 'utf8'), path);
  } catch (error) {
    throw new Error(
      (error as Error).message.startsWith(path)
        ? (error as Error).message
        : `${path}: ${(error as Error).message}`,
    );
  }
}

export function buildCli(): Command {
  const info = buildInfo('peerpod-tunnel', pkg.version);
  const program = createProgram({
    info,
    description:
      'Sets up, tears down and inspects the VXLAN tunnels that join a pod network namespace on a worker ' +
      'node to the pod namespace inside its pod VM. Uses the same code as the daemons; handy for debugging. ' +
      'Needs root for everything but --help. Results go to stdout; -log-level debug shows every ' +
      'ip, tc and iptables command on stderr.',
  });
  for (const option of logOptions()) program.addOption(option);

  // Set up before any command runs, from the global -log-format and -log-level.
  let log: Logger | undefined;
  let run: CommandRunner | undefined;
  program.hook('preAction', async () => {
    const flags = program.opts<LogFlags>();
    const stderr = { write: (line: string) => process.stderr.write(line) };
    log = await createLogger('peerpod-tunnel', {
      format: flags.logFormat,
      level: flags.logLevel,
      sink: stderr,
    });
    const logger = log;
    run = flags.logLevel === 'debug' ? tracingRunner((line) => logger.debug(line)) : undefined;
  });
  // In JSON a failure is a record like every other line; in text it stays one `peerpod-tunnel: …` line.
  const act =
    <A extends unknown[]>(action: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await action(...args);
      } catch (error) {
        if (log === undefined || program.opts<LogFlags>().logFormat !== 'json') throw error;
        log.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
      }
    };

  tunnelOptions(
    program
      .command('inspect')
      .argument('<netns>', 'pod network namespace path, e.g. /var/run/netns/cni-1234')
      .description(
        'print the pod-network object cloud-api-adaptor would put into apf.json for this namespace',
      ),
  ).action(
    act(async (netns: string, flags: TunnelFlags) =>
      print((await apfConfig()).podNetworkJson(await (await tunnels()).workerInspect(netns, flags, run))),
    ),
  );

  const worker = program.command('worker').description('the worker-node side of a tunnel');
  tunnelOptions(
    worker
      .command('up')
      .argument('<netns>', 'pod network namespace path')
      .requiredOption('--remote <ip[,ip]>', 'the pod VM address (the second one is used in dedicated mode)')
      .description(
        'inspect the pod netns and build the worker side; prints the pod-network object for `podvm up`',
      ),
  ).action(
    act(async (netns: string, flags: TunnelFlags & { remote: string }) =>
      print(
        (await apfConfig()).podNetworkJson(
          await (await tunnels()).workerUp(netns, flags.remote.split(','), flags, run),
        ),
      ),
    ),
  );
  tunnelOptions(
    worker
      .command('down')
      .argument('<netns>', 'pod network namespace path')
      .description("remove the worker side of the namespace's tunnel (idempotent)"),
  ).action(
    act(async (netns: string, flags: TunnelFlags) => {
      process.stdout.write(`${await (await tunnels()).workerDown(netns, flags, run)}\n`);
    }),
  );

  const podvm = program.command('podvm').description('the pod-VM side of a tunnel');
  podvm
    .command('up')
    .requiredOption('--config <path>', 'apf.json as cloud-api-adaptor writes it', '/run/peerpod/apf.json')
    .option('--pod-namespace <path>', 'pod network namespace (created if absent)', '/run/netns/podns')
    .option('--host-interface <name>', 'the pod VM interface for the tunnel (default: the primary one)')
    .description('recreate the pod interface in the pod namespace at the end of a VXLAN tunnel to the worker')
    .action(
      act(async (flags: { config: string; podNamespace: string; hostInterface?: string }) => {
        await (await tunnels()).podVmUp(
          await readApf(flags.config),
          flags.podNamespace,
          flags.hostInterface,
          run,
        );
        process.stdout.write(`pod interface up in ${flags.podNamespace}\n`);
      }),
    );
  podvm
    .command('down')
    .requiredOption('--config <path>', 'apf.json as cloud-api-adaptor writes it', '/run/peerpod/apf.json')
    .option('--pod-namespace <path>', 'pod network namespace', '/run/netns/podns')
    .description('remove the pod interface and its NOTRACK rules (idempotent)')
    .action(
      act(async (flags: { config: string; podNamespace: string }) => {
        process.stdout.write(
          `${await (await tunnels()).podVmDown(await readApf(flags.config), flags.podNamespace, run)}\n`,
        );
      }),
    );

  program
    .command('list')
    .description('the VXLAN tunnels on this host: namespace, link, VNI, remote, port')
    .action(
      act(async () => {
        const rows = await (await import('./list')).listTunnels();
        if (rows.length === 0) process.stdout.write('no VXLAN tunnels\n');
        for (const row of rows) {
          process.stdout.write(
            `${row.netns}\t${row.link}\tvni ${row.vni}\tremote ${row.remote ?? '-'}\tport ${row.port ?? '-'}\n`,
          );
        }
      }),
    );

  program
    .command('check')
    .description(
      'what this host is missing for tunnels: root, ip, tc, nsenter, iptables and its flavour, VXLAN support',
    )
    .action(
      act(async () => {
        const results = await (await import('./check')).checkHost();
        for (const result of results) {
          process.stdout.write(`${result.ok ? 'ok     ' : 'MISSING'} ${result.what}: ${result.detail}\n`);
        }
        if (results.some((result) => !result.ok)) process.exitCode = 1;
      }),
    );
  return program;
}
