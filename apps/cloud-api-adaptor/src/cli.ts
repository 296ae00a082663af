import { buildInfo, createProgram } from '@peerpods/cli';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('cloud-api-adaptor', pkg.version);
  return createProgram({
    info,
    versionSubcommand: true,
    description:
      'Peer-pods worker daemon. Serves the kata remote-hypervisor service on a unix socket, creates a ' +
      'pod VM per sandbox through a cloud provider, and proxies the kata agent API to it over mutual TLS.',
  });
}
