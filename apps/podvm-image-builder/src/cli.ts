import { buildInfo, createProgram, logOptions } from '@peerpods/cli';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('podvm-image-builder', pkg.version);
  const program = createProgram({
    info,
    description:
      'Builds pod VM images: a root filesystem with kata-agent, agent-protocol-forwarder and ' +
      'process-user-data, packaged for each cloud provider.',
  });
  // Global, like every binary's: the build commands log through them.
  for (const option of logOptions()) program.addOption(option);
  return program;
}
