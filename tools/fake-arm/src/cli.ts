import { buildInfo, createProgram } from '@peerpods/cli';
import {
  addFakeCloudOptions,
  type FakeCloudFlags,
  fakeCloudSettings,
  serveUntilSignal,
} from '@peerpods/fake-cloud-kit';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { FakeArm } from './fake-arm';
import type { ArmFaults } from './faults';
import { FAKE_ARM_LABELS } from './labels';

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
  });
  addFakeCloudOptions(program, {
    name: 'fake-arm',
    noun: 'VM',
    subnet: '10.197.0.0/24',
    bridge: 'fakearmbr0',
    stateDir: '/run/peerpod/fake-arm',
    throttleHelp: "throttle at ARM's published defaults (reads 250 + 25/s; writes and deletes 200 + 10/s)",
  })
    .option('--ca-file <path>', "write the fake's CA certificate (PEM) here, for NODE_EXTRA_CA_CERTS")
    .action(async () => {
      const flags = program.opts<FakeCloudFlags & { caFile?: string }>();
      const settings = fakeCloudSettings<ArmFaults>(flags, 'fake-arm', FAKE_ARM_LABELS);
      const fake = await FakeArm.start({
        ...settings,
        throttle:
          settings.throttleStartEmpty === undefined ? undefined : { startEmpty: settings.throttleStartEmpty },
      });
      await serveUntilSignal(
        `fake-arm: serving ARM and Entra ID on ${fake.url}`,
        () => fake.stop(),
        settings.log,
        {
          caFile: flags.caFile,
          caPem: fake.ca.certPem,
        },
      );
    });
  return program;
}
