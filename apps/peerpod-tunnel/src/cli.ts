import { buildInfo, createProgram } from '@peerpods/cli';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('peerpod-tunnel', pkg.version);
  return createProgram({
    info,
    description:
      'Sets up, tears down and inspects the VXLAN tunnels that join a pod network namespace on a worker ' +
      'node to the pod namespace inside its pod VM. Uses the same code as the daemons; handy for debugging.',
  });
}
