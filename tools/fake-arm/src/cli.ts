import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { buildInfo, createProgram, UsageError } from '@peerpods/cli';
import { parseIpv4Subnet } from '@peerpods/netops';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { FakeArm } from './fake-arm';
import type { ArmFaults } from './faults';
import { FAKE_ARM_LABELS } from './labels';

interface Flags {
  listen: string;
  paper?: boolean;
  binDir?: string;
  agentBinary?: string;
  subnet: string;
  bridge: string;
  stateDir: string;
  caFile?: string;
  controlSocket?: string;
  throttle?: boolean;
  throttleStartEmpty?: boolean;
  faults?: string;
}

export function buildCli(): Command {
  const program = createProgram({
    info: buildInfo('fake-arm', pkg.version),
    description:
      'A FAKE of Azure Resource Manager for tests and demos, not Azure: the compute and network calls the azure ' +
      'provider makes (VM create/get/list/delete as long-running operations, NICs, public IPs, disks, VM sizes) with ' +
      "ARM's JSON, api-version, Azure-AsyncOperation polling, error bodies and 429 + Retry-After throttling at ARM's " +
      "published rates on request, and Entra ID's OpenID configuration and token endpoint, over HTTPS with its own " +
      'test CA (--ca-file writes it; give it to clients as NODE_EXTRA_CA_CERTS). Each VM boots as a pod VM on this ' +
      "machine and fetches its user-data from Azure's IMDS at 169.254.169.254. Tokens are not validated beyond being " +
      'ones it issued. Control API: GET /_fake/resources, /_fake/counts, /_fake/ca, PUT /_fake/faults. Needs root ' +
      'unless --paper. Stops (deleting everything) on SIGTERM or SIGINT.',
  })
    .option(
      '--listen <host:port>',
      'where ARM and the token endpoint are served (port 0: any free one)',
      '127.0.0.1:0',
    )
    .option('--paper', 'VMs without pod VMs: addresses from 198.18.0.0/15, nothing boots (no root needed)')
    .option(
      '--bin-dir <dir>',
      'where process-user-data, agent-protocol-forwarder and dev-agent are (default: beside this binary)',
    )
    .option('--agent-binary <path>', 'the kata agent each VM runs (default: <bin-dir>/dev-agent)')
    .option('--subnet <cidr>', "the VMs' subnet on the fake's bridge (host 1 is the bridge)", '10.197.0.0/24')
    .option('--bridge <name>', "the fake's bridge, created at start and removed at exit", 'fakearmbr0')
    .option('--state-dir <dir>', 'one directory per VM (its /)', '/run/peerpod/fake-arm')
    .option('--ca-file <path>', "write the fake's CA certificate (PEM) here, for NODE_EXTRA_CA_CERTS")
    .option(
      '--control-socket <path>',
      'also serve the control API (/_fake/*) on this unix socket, over plain HTTP',
    )
    .option(
      '--throttle',
      "throttle at ARM's published defaults (reads 250 + 25/s; writes and deletes 200 + 10/s)",
    )
    .option('--throttle-start-empty', 'with --throttle: start with empty buckets')
    .option('--faults <json>', 'faults from the start, e.g. \'{"neverBoot":true}\' (see PUT /_fake/faults)')
    .action(async () => {
      await serve(program.opts<Flags>());
    });
  return program;
}

async function serve(flags: Flags): Promise<void> {
  const match = /^(.+):(\d+)$/.exec(flags.listen);
  if (!match) throw new UsageError(`--listen ${JSON.stringify(flags.listen)}: expected host:port`);
  let faults: ArmFaults | undefined;
  if (flags.faults !== undefined) {
    try {
      faults = JSON.parse(flags.faults) as ArmFaults;
    } catch (error) {
      throw new UsageError(`--faults: ${(error as Error).message}`);
    }
  }
  const log = (line: string) => process.stderr.write(`fake-arm: ${line}\n`);
  const binDir = flags.binDir ?? (isSea() ? dirname(process.execPath) : undefined);
  if (!flags.paper && binDir === undefined) {
    throw new UsageError('--bin-dir is required when fake-arm is not the built binary (or give --paper)');
  }
  const fake = await FakeArm.start({
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
          labels: FAKE_ARM_LABELS,
        },
  });
  if (flags.caFile) await writeFile(flags.caFile, fake.ca.certPem);
  process.stdout.write(`fake-arm: serving ARM and Entra ID on ${fake.url}\n`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log(`received ${signal}: deleting every VM`);
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
