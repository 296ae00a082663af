import { buildInfo, createProgram } from '@peerpods/cli';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('process-user-data', pkg.version);
  const program = createProgram({
    info,
    description:
      "Runs at pod-VM boot. Fetches the cloud's user-data and writes the allowed files under /run/peerpod.",
  });
  program
    .command('provision-files')
    .description('fetch user-data (cidata file, then the cloud metadata services) and write its files')
    .addOption(
      new Option(
        '-t, --user-data-fetch-timeout <seconds>',
        'how long to keep trying to fetch user-data',
      ).default('180'),
    )
    .action(() => {
      process.stderr.write('process-user-data: provisioning is not part of this build yet\n');
      process.exitCode = 1;
    });
  return program;
}
