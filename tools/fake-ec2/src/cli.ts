import { dirname, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { buildInfo, createProgram, UsageError } from '@peerpods/cli';
import { parseIpv4Subnet } from '@peerpods/netops';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { FakeEc2 } from './fake-ec2';
import type { Ec2Faults } from './faults';
import { FAKE_EC2_LABELS } from './labels';

interface Flags {
  listen: string;
  paper?: boolean;
  binDir?: string;
  agentBinary?: string;
  subnet: string;
  bridge: string;
  stateDir: string;
  throttle?: boolean;
  throttleStartEmpty?: boolean;
  faults?: string;
  controlSocket?: string;
}

export function buildCli(): Command {
  const program = createProgram({
    info: buildInfo('fake-ec2', pkg.version),
    description:
      'A FAKE of Amazon EC2 for tests and demos, not EC2: the Query API actions the aws provider uses ' +
      '(RunInstances, DescribeInstances, TerminateInstances, DescribeImages, DescribeInstanceTypes) with XML ' +
      "answers and EC2 error codes, ClientToken idempotency, and token-bucket throttling at EC2's published " +
      "rates on request. Each instance boots as a pod VM on this machine (a network namespace on the fake's " +
      'bridge running process-user-data, dev-agent and agent-protocol-forwarder), which fetches its user-data ' +
      "from the fake's IMDSv2 at 169.254.169.254. Signatures are not checked. Control API: GET /_fake/instances, " +
      'GET /_fake/counts, GET|PUT /_fake/faults. Needs root unless --paper. Stops (terminating everything) on SIGTERM or SIGINT.',
  })
    .option('--listen <host:port>', 'where the EC2 API is served (port 0: any free one)', '127.0.0.1:0')
    .option('--paper', 'instances without VMs: addresses from 198.18.0.0/15, nothing boots (no root needed)')
    .option(
      '--bin-dir <dir>',
      'where process-user-data, agent-protocol-forwarder and dev-agent are (default: beside this binary)',
    )
    .option('--agent-binary <path>', 'the kata agent each instance runs (default: <bin-dir>/dev-agent)')
    .option(
      '--subnet <cidr>',
      "the instances' subnet on the fake's bridge (host 1 is the bridge)",
      '10.198.0.0/24',
    )
    .option('--bridge <name>', "the fake's bridge, created at start and removed at exit", 'fakeec2br0')
    .option('--state-dir <dir>', 'one directory per instance (its /)', '/run/peerpod/fake-ec2')
    .option(
      '--control-socket <path>',
      'also serve the control API (/_fake/*) on this unix socket, reachable from any network namespace',
    )
    .option(
      '--throttle',
      "throttle at EC2's published default rates (Describe* 100 + 20/s each; RunInstances 1000 + 2/s instances)",
    )
    .option(
      '--throttle-start-empty',
      'with --throttle: start with empty buckets, as an account others have drained',
    )
    .option('--faults <json>', 'faults from the start, e.g. \'{"neverBoot":true}\' (see PUT /_fake/faults)')
    .action(async () => {
      await serve(program.opts<Flags>());
    });
  return program;
}

async function serve(flags: Flags): Promise<void> {
  const match = /^(.+):(\d+)$/.exec(flags.listen);
  if (!match) throw new UsageError(`--listen ${JSON.stringify(flags.listen)}: expected host:port`);
  let faults: Ec2Faults | undefined;
  if (flags.faults !== undefined) {
    try {
      faults = JSON.parse(flags.faults) as Ec2Faults;
    } catch (error) {
      throw new UsageError(`--faults: ${(error as Error).message}`);
    }
  }
  const log = (line: string) => process.stderr.write(`fake-ec2: ${line}\n`);
  const binDir = flags.binDir ?? (isSea() ? dirname(process.execPath) : undefined);
  if (!flags.paper && binDir === undefined) {
    throw new UsageError('--bin-dir is required when fake-ec2 is not the built binary (or give --paper)');
  }
  const fake = await FakeEc2.start({
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port: Number(match[2]),
    throttle: flags.throttle ? { startEmpty: flags.throttleStartEmpty === true } : undefined,
    faults,
    log,
    controlSocket: flags.controlSocket,
    podVms: flags.paper
      ? undefined
      : {
          subnet: parseIpv4Subnet(flags.subnet),
          bridge: flags.bridge,
          stateDir: resolve(flags.stateDir),
          binaries: {
            processUserData: join(binDir!, 'process-user-data'),
            forwarder: join(binDir!, 'agent-protocol-forwarder'),
            agent: flags.agentBinary ?? join(binDir!, 'dev-agent'),
          },
          log,
          labels: FAKE_EC2_LABELS,
        },
  });
  process.stdout.write(`fake-ec2: serving EC2 on ${fake.url}\n`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log(`received ${signal}: terminating every instance`);
      fake.stop().then(
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
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
