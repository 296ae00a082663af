import { buildInfo, createProgram } from '@peerpods/cli';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('podvm-image-builder', pkg.version);
  return createProgram({
    info,
    description:
      'Builds pod VM images: a root filesystem with kata-agent, agent-protocol-forwarder and ' +
      'process-user-data, packaged for each cloud provider.',
  });
}
