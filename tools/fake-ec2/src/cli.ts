import { buildInfo, createProgram } from '@peerpods/cli';
import {
  addFakeCloudOptions,
  type FakeCloudFlags,
  fakeCloudSettings,
  serveUntilSignal,
} from '@peerpods/fake-cloud-kit';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { FakeEc2 } from './fake-ec2';
import type { Ec2Faults } from './faults';
import { FAKE_EC2_LABELS } from './labels';

export function buildCli(): Command {
  const program = createProgram({
    info: buildInfo('fake-ec2', pkg.version),
    description:
      'A FAKE of Amazon EC2 for tests and demos, not EC2: the Query API actions the aws provider uses ' +
      '(RunInstances, DescribeInstances, TerminateInstances, DescribeImages, DescribeInstanceTypes) with XML ' +
      "answers and EC2 error codes, ClientToken idempotency, and token-bucket throttling at EC2's published " +
      "rates on request. Each instance boots as a pod VM on this machine (a network namespace on the fake's " +
      'bridge running process-user-data, dev-agent and agent-protocol-forwarder), which fetches its user-data ' +
      "from the fake's IMDSv2 at 169.254.169.254. Signatures are not checked. Control API: GET /_fake/instances, " +
      'GET /_fake/counts, GET|PUT /_fake/faults. Needs root unless --paper. Stops (terminating everything) on SIGTERM or SIGINT.',
  });
  addFakeCloudOptions(program, {
    name: 'fake-ec2',
    noun: 'instance',
    subnet: '10.198.0.0/24',
    bridge: 'fakeec2br0',
    stateDir: '/run/peerpod/fake-ec2',
    throttleHelp:
      "throttle at EC2's published default rates (Describe* 100 + 20/s each; RunInstances 1000 + 2/s instances)",
  }).action(async () => {
    const settings = fakeCloudSettings<Ec2Faults>(
      program.opts<FakeCloudFlags>(),
      'fake-ec2',
      FAKE_EC2_LABELS,
    );
    const fake = await FakeEc2.start({
      ...settings,
      throttle:
        settings.throttleStartEmpty === undefined ? undefined : { startEmpty: settings.throttleStartEmpty },
    });
    await serveUntilSignal(`fake-ec2: serving EC2 on ${fake.url}`, () => fake.stop(), settings.log);
  });
  return program;
}
