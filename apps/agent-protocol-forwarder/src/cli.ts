import { buildInfo, createProgram } from '@peerpods/cli';
import { type Command, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };

export function buildCli(): Command {
  const info = buildInfo('agent-protocol-forwarder', pkg.version);
  const program = createProgram({
    info,
    description:
      'Runs inside the pod VM. Listens for cloud-api-adaptor over mutual TLS, sets up the pod network ' +
      "namespace, and forwards the kata agent protocol to kata-agent's unix socket.",
  });
  program
    .addOption(
      new Option('--config <path>', 'forwarder configuration written by cloud-api-adaptor').default(
        '/run/peerpod/apf.json',
      ),
    )
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('0.0.0.0:15150'))
    .addOption(
      new Option('--kata-agent-socket <path>', "kata-agent's ttrpc socket").default(
        '/run/kata-containers/agent.sock',
      ),
    )
    .addOption(
      new Option('--pod-namespace <path>', 'network namespace the pod runs in').default('/run/netns/podns'),
    )
    .addOption(
      new Option('--host-interface <name>', 'interface that carries the tunnel (default: the primary one)'),
    )
    .addOption(new Option('--ca-cert-file <path>', 'CA that client certificates must chain to'))
    .addOption(new Option('--cert-file <path>', 'server certificate'))
    .addOption(new Option('--cert-key <path>', 'server private key'))
    .addOption(new Option('--tls-skip-verify', 'do not verify client certificates (testing only)'))
    .addOption(new Option('--disable-tls', 'listen on plain TCP (testing only)'))
    .action(() => {
      process.stderr.write('agent-protocol-forwarder: forwarding is not part of this build yet\n');
      process.exitCode = 1;
    });
  return program;
}
