import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { UsageError } from '@peerpods/cli';
import { parseIpv4Subnet } from '@peerpods/netops';
import type { HostLabels, PodVmHostSettings } from '@peerpods/pod-vm-host';
import type { Command } from 'commander';

/** The options every fake cloud's CLI has, as commander gives them. */
export interface FakeCloudFlags {
  listen: string;
  paper?: boolean;
  binDir?: string;
  agentBinary?: string;
  subnet: string;
  bridge: string;
  stateDir: string;
  controlSocket?: string;
  throttle?: boolean;
  throttleStartEmpty?: boolean;
  faults?: string;
}

/** What a fake's `start` needs from those flags. */
export interface FakeCloudSettings<Faults> {
  host: string;
  port: number;
  faults: Faults | undefined;
  controlSocket: string | undefined;
  throttleStartEmpty: boolean | undefined;
  podVms: PodVmHostSettings | undefined;
  log: (line: string) => void;
}

export interface FakeCloudDefaults {
  /** The binary's name, the prefix of its log lines: `fake-ec2`. */
  name: string;
  subnet: string;
  bridge: string;
  stateDir: string;
  /** What one of its instances is called in the help: `instance`, `VM`. */
  noun: string;
  /** The --throttle help: which published rates. */
  throttleHelp: string;
}

/** Declares the shared options; the fake adds its own before or after. */
export function addFakeCloudOptions(program: Command, defaults: FakeCloudDefaults): Command {
  return program
    .option('--listen <host:port>', 'where the API is served (port 0: any free one)', '127.0.0.1:0')
    .option(
      '--paper',
      `${defaults.noun}s without pod VMs: addresses from 198.18.0.0/15, nothing boots (no root needed)`,
    )
    .option(
      '--bin-dir <dir>',
      'where process-user-data, agent-protocol-forwarder and dev-agent are (default: beside this binary)',
    )
    .option(
      '--agent-binary <path>',
      `the kata agent each ${defaults.noun} runs (default: <bin-dir>/dev-agent)`,
    )
    .option(
      '--subnet <cidr>',
      `the ${defaults.noun}s' subnet on the fake's bridge (host 1 is the bridge)`,
      defaults.subnet,
    )
    .option('--bridge <name>', "the fake's bridge, created at start and removed at exit", defaults.bridge)
    .option('--state-dir <dir>', `one directory per ${defaults.noun} (its /)`, defaults.stateDir)
    .option(
      '--control-socket <path>',
      'also serve the control API (/_fake/*) on this unix socket, plain HTTP, reachable from any network namespace',
    )
    .option('--throttle', defaults.throttleHelp)
    .option(
      '--throttle-start-empty',
      'with --throttle: start with empty buckets, as an account others have drained',
    )
    .option('--faults <json>', 'faults from the start, e.g. \'{"neverBoot":true}\' (see PUT /_fake/faults)');
}

/** Checks the shared flags (a bad one is a usage error naming it) and builds the fake's settings. */
export function fakeCloudSettings<Faults>(
  flags: FakeCloudFlags,
  name: string,
  labels: HostLabels,
): FakeCloudSettings<Faults> {
  const match = /^(.+):(\d+)$/.exec(flags.listen);
  if (!match) throw new UsageError(`--listen ${JSON.stringify(flags.listen)}: expected host:port`);
  let faults: Faults | undefined;
  if (flags.faults !== undefined) {
    try {
      faults = JSON.parse(flags.faults) as Faults;
    } catch (error) {
      throw new UsageError(`--faults: ${(error as Error).message}`);
    }
  }
  const log = (line: string) => process.stderr.write(`${name}: ${line}\n`);
  const binDir = flags.binDir ?? (isSea() ? dirname(process.execPath) : undefined);
  if (!flags.paper && binDir === undefined) {
    throw new UsageError(`--bin-dir is required when ${name} is not the built binary (or give --paper)`);
  }
  return {
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port: Number(match[2]),
    faults,
    controlSocket: flags.controlSocket,
    throttleStartEmpty: flags.throttle ? flags.throttleStartEmpty === true : undefined,
    log,
    podVms:
      flags.paper || binDir === undefined
        ? undefined
        : {
            subnet: parseIpv4Subnet(flags.subnet),
            bridge: flags.bridge,
            stateDir: resolve(flags.stateDir),
            binaries: {
              processUserData: join(binDir, 'process-user-data'),
              forwarder: join(binDir, 'agent-protocol-forwarder'),
              agent: flags.agentBinary ?? join(binDir, 'dev-agent'),
            },
            log,
            labels,
          },
  };
}

/**
 * Announces the fake on stdout (what tests and demos wait for), then serves until SIGTERM or SIGINT,
 * when `stop` removes everything; a failing stop makes the exit code 1.
 */
export async function serveUntilSignal(
  announcement: string,
  stop: () => Promise<void>,
  log: (line: string) => void,
  extra?: { caFile?: string; caPem?: string },
): Promise<void> {
  if (extra?.caFile && extra.caPem) await writeFile(extra.caFile, extra.caPem);
  process.stdout.write(`${announcement}\n`);
  await new Promise<void>((done) => {
    const onSignal = (signal: string) => {
      log(`received ${signal}: removing everything`);
      stop().then(
        () => {
          log('stopped');
          done();
        },
        (error: unknown) => {
          log(`stopping: ${(error as Error).message}`);
          process.exitCode = 1;
          done();
        },
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}
