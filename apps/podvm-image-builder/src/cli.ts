import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { buildInfo, createProgram, logOptions, UsageError } from '@peerpods/cli';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import {
  type DiskFormat,
  FORMATS,
  PROVIDER_PROFILES,
  PROVIDERS,
  type ProviderName,
} from './provider-profiles';

// The build's modules load when it runs, so --help and --version never pay for them.
const builder = () => import('./build');
const cliLib = () => import('@peerpods/cli');

export const DEFAULT_CACHE_DIR = '/var/cache/podvm-image-builder';

interface BuildFlags {
  provider: ProviderName;
  output: string;
  format?: DiskFormat;
  agent?: string;
  release: string;
  cache: string;
  binDir?: string;
  mirror?: string;
  inputs?: string;
}

/** The directory above `start` (or `start` itself) that has `relative` in it. */
function findUp(start: string, relative: string): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where our binaries are: beside this one when it is a built binary, else the workspace's dist/bin. */
function defaultBinDir(): string {
  if (isSea()) return dirname(process.execPath);
  return findUp(process.cwd(), 'dist/bin') ?? 'dist/bin';
}

const providerHelp = PROVIDERS.map((name) => `  ${name.padEnd(9)} ${PROVIDER_PROFILES[name].summary}`).join(
  '\n',
);

export function buildCli(): Command {
  const info = buildInfo('podvm-image-builder', pkg.version);
  const program = createProgram({
    info,
    description:
      'Builds pod VM images: Debian with its cloud kernel and systemd, our process-user-data, ' +
      'agent-protocol-forwarder and peerpod-tunnel, and kata-agent (or the dev-agent), as a disk for each cloud.',
  });
  for (const option of logOptions()) program.addOption(option);
  program
    .command('build')
    .description('build one bootable pod VM disk image (needs root)')
    .addOption(
      new Option('--provider <name>', 'cloud the image is for').choices(PROVIDERS).makeOptionMandatory(),
    )
    .addOption(new Option('--output <file>', 'image file to write').makeOptionMandatory())
    .addOption(new Option('--format <format>', "disk format (default: the provider's)").choices(FORMATS))
    .addOption(
      new Option(
        '--agent <path>',
        'kata-agent binary to install (default: our dev-agent, and the image is labelled a DEVELOPMENT image)',
      ),
    )
    .addOption(new Option('--release <codename>', 'Debian release').default('bookworm'))
    .addOption(
      new Option(
        '--cache <dir>',
        'cache of debootstrapped trees, reused by builds with the same inputs',
      ).default(DEFAULT_CACHE_DIR),
    )
    .addOption(
      new Option('--bin-dir <dir>', 'directory with our binaries (default: beside this binary, or dist/bin)'),
    )
    .addOption(new Option('--mirror <url>', "Debian mirror (default: the one this machine's apt uses)"))
    .addOption(
      new Option('--inputs <dir>', 'units and configuration to use instead of the built-in images/podvm'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Providers:',
        providerHelp,
        '',
        'The image boots with BIOS (GRUB) and mounts its root filesystem by label (podvm-root).',
        'SOURCE_DATE_EPOCH sets the filesystem timestamps; the same inputs give the same filesystem id.',
        'Not done yet: uploading the image to a cloud image service (EC2 import-image, Azure managed',
        'images, IBM Cloud images, vSphere templates), UEFI boot, and the attestation stack.',
      ].join('\n'),
    )
    .action(async (flags: BuildFlags) => {
      const format = flags.format ?? PROVIDER_PROFILES[flags.provider].format;
      const epochText = process.env.SOURCE_DATE_EPOCH;
      if (epochText !== undefined && !/^\d+$/.test(epochText)) {
        throw new UsageError(
          `SOURCE_DATE_EPOCH must be whole seconds since 1970, not ${JSON.stringify(epochText)}`,
        );
      }
      if (flags.agent !== undefined && !existsSync(flags.agent)) {
        throw new UsageError(`--agent ${flags.agent}: no such file`);
      }
      const { embeddedTree, readTree } = await cliLib();
      const inputs = flags.inputs
        ? await readTree(flags.inputs)
        : await embeddedTree('podvm', () => {
            const dir = findUp(process.cwd(), 'images/podvm');
            if (!dir) throw new Error('images/podvm not found above the current directory: pass --inputs');
            return dir;
          });
      const { buildImage } = await builder();
      const started = performance.now();
      const result = await buildImage({
        provider: flags.provider,
        output: flags.output,
        format,
        release: flags.release,
        cacheDir: resolve(flags.cache),
        binDir: resolve(flags.binDir ?? defaultBinDir()),
        agent: flags.agent,
        mirror: flags.mirror,
        inputs,
        epoch: epochText === undefined ? undefined : Number(epochText),
        progress: (line) => process.stdout.write(`${line}\n`),
      });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `built ${result.output} in ${seconds.toFixed(1)} s${result.rootfsCached ? ' (rootfs from the cache)' : ''}` +
          `${result.development ? ': a DEVELOPMENT image (dev-agent, no isolation)' : ''}\n`,
      );
    });
  return program;
}
