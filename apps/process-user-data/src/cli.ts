import { buildInfo, createProgram, UsageError } from '@peerpods/cli';
import { addOptions, collectFlags, logSettings, type OptionValues, resolveOptions } from '@peerpods/config';
import { createLogger } from '@peerpods/log';
import type { ProvisionOptions } from '@peerpods/userdata';
import { type Command, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { PROVISION_OPTIONS } from './options';

export interface CliOptions {
  /** Environment for the PEERPODS_USERDATA_* overrides; default process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

function seconds(text: string): number {
  // Upstream's flag is a Go int: whole seconds.
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new InvalidArgumentError('expected a whole number of seconds, at least 1');
  }
  return Number(text);
}

/** `''` (not given) lets the lib probe; `none` means "no vendor". */
function probeOverride(value: string): string | undefined {
  if (value === '') return undefined;
  return value.toLowerCase() === 'none' ? '' : value;
}

function baseUrl(values: OptionValues, flag: string): string {
  const text = String(values[flag]);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {}
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new UsageError(`-${flag}: "${text}" is not an http(s) URL`);
  }
  return text;
}

function retryInterval(values: OptionValues): number {
  const ms = Number(values['retry-interval']);
  if (ms <= 0) throw new UsageError(`-retry-interval: must be positive, got ${ms} ms`);
  return ms;
}

function provisionOptions(values: OptionValues, timeoutSeconds: number): ProvisionOptions {
  const text = (flag: string) => String(values[flag]);
  return {
    root: text('root'),
    fetchTimeoutMs: timeoutSeconds * 1000,
    retryIntervalMs: retryInterval(values),
    endpoints: {
      azure: baseUrl(values, 'azure-imds-url'),
      aws: baseUrl(values, 'aws-imds-url'),
      gcp: baseUrl(values, 'gcp-metadata-url'),
      alibaba: baseUrl(values, 'alibaba-metadata-url'),
      ibmcloud: baseUrl(values, 'ibmcloud-metadata-url'),
    },
    probes: {
      dmiSysVendor: probeOverride(text('dmi-sys-vendor')),
      hypervisorVendor: probeOverride(text('hypervisor-vendor')),
    },
  };
}

export function buildCli(options: CliOptions = {}): Command {
  const info = buildInfo('process-user-data', pkg.version);
  const program = createProgram({
    info,
    description:
      "Runs at pod-VM boot. Fetches the cloud's user-data and writes the allowed files under /run/peerpod.",
  });
  const command = program
    .command('provision-files')
    .description(
      'fetch user-data (the cidata file, else the metadata service of the cloud the probes detect: ' +
        'Azure, AWS, GCP, Alibaba), write its allow-listed files and the files initdata derives ' +
        '(user-data is limited to 1048576 bytes, 1 MiB; larger is refused)',
    )
    .addOption(
      new Option('-t, --user-data-fetch-timeout <seconds>', 'how long to keep trying to fetch user-data')
        .default('180')
        .argParser(seconds),
    );
  addOptions(command, PROVISION_OPTIONS);
  command.action(async () => {
    const writeErr = command.configureOutput().writeErr ?? ((text: string) => process.stderr.write(text));
    const timeout = command.opts<{ userDataFetchTimeout: string | number }>().userDataFetchTimeout;
    try {
      const { values } = resolveOptions(
        PROVISION_OPTIONS,
        collectFlags(command, PROVISION_OPTIONS),
        options.env ?? process.env,
      );
      // Go's log writes to stderr; so do these lines, in its `YYYY/MM/DD HH:MM:SS [component]` layout.
      const { format, level } = logSettings(values);
      const log = await createLogger('userdata/provision', { format, level, sink: { write: writeErr } });
      // Loaded here, not at the top: --help and --version never pay for it.
      const { provisionFiles } = await import('@peerpods/userdata');
      await provisionFiles({ ...provisionOptions(values, Number(timeout)), log });
    } catch (error) {
      // A bad flag or env value is a usage error: runProgram reports it and exits 2.
      if (error instanceof UsageError) throw error;
      writeErr(`process-user-data: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  });
  return program;
}
