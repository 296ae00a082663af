import { buildInfo, createProgram } from '@peerpods/cli';
import {
  addFakeCloudOptions,
  type FakeCloudFlags,
  fakeCloudSettings,
  serveUntilSignal,
} from '@peerpods/fake-cloud-kit';
import type { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { FakeIbmVpc } from './fake-ibm-vpc';
import type { IbmFaults } from './faults';
import { FAKE_IBM_VPC_LABELS } from './labels';

// No published figure for VPC's request rate limit: a budget a burst of pods can drain.
const THROTTLE = { capacity: 20, refillPerSecond: 10 };

export function buildCli(): Command {
  const program = createProgram({
    info: buildInfo('fake-ibm-vpc', pkg.version),
    description:
      'A FAKE of IBM Cloud for tests and demos, not IBM Cloud: the VPC API calls the ibmcloud provider makes ' +
      '(instances, profiles, images, subnets, dedicated hosts) under /v1 with version and generation=2, ' +
      "VPC's error bodies and 429 + Retry-After when --throttle is given; IAM's token endpoint (API key and " +
      "trusted profile); Global Tagging's attach and list; and IBM Cloud Kubernetes Service's cluster " +
      'security-group lookup; all on one plain-HTTP port. Each instance boots as a pod VM on this machine and ' +
      "reads its user-data from IBM Cloud VPC's instance metadata service at 169.254.169.254. Control API: " +
      'GET /_fake/inventory, /_fake/counts, PUT /_fake/faults. Needs root unless --paper. Stops (deleting ' +
      'everything) on SIGTERM or SIGINT.',
  });
  addFakeCloudOptions(program, {
    name: 'fake-ibm-vpc',
    noun: 'instance',
    subnet: '10.196.0.0/24',
    bridge: 'fakeibmbr0',
    stateDir: '/run/peerpod/fake-ibm-vpc',
    throttleHelp: `throttle VPC calls: a bucket of ${THROTTLE.capacity}, refilled ${THROTTLE.refillPerSecond}/s`,
  }).action(async () => {
    const flags = program.opts<FakeCloudFlags>();
    const settings = fakeCloudSettings<IbmFaults>(flags, 'fake-ibm-vpc', FAKE_IBM_VPC_LABELS);
    const fake = await FakeIbmVpc.start({
      ...settings,
      throttle: settings.throttleStartEmpty === undefined ? undefined : THROTTLE,
      throttleStartEmpty: settings.throttleStartEmpty === true,
    });
    await serveUntilSignal(
      `fake-ibm-vpc: serving IBM Cloud VPC, IAM and tagging on ${fake.url}`,
      () => fake.stop(),
      settings.log,
    );
  });
  return program;
}
