// The aws provider against the EC2 fake (tools/fake-ec2) on loopback: the real SDK, EC2's wire format.
import { after } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { type Ec2Faults, FakeEc2, type FakeEc2Options } from '@peerpods/fake-ec2';
import type {
  CloudApiCall,
  CreateInstanceRequest,
  InstanceTypeSpec,
  Owner,
  Provider,
} from '@peerpods/providers';
import { awsProviderFactory } from '../src/index';

export const FAKE_KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0001',
  AWS_SECRET_ACCESS_KEY: 'fake/secret+key/never-logged-0001',
};
// Nothing here may ask 169.254.169.254 (the tests' traffic stays on loopback); the one test of the
// worker-metadata fallback points AWS_EC2_METADATA_SERVICE_ENDPOINT at the fake's.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

export const OWNER: Owner = { nodeName: 'worker-a', clusterId: 'test-cluster' };

export interface AwsRig {
  fake: FakeEc2;
  provider: Provider & { instanceTypeCatalog(): import('@peerpods/providers').InstanceTypeCatalog };
  logs: string[];
  /** Every EC2 call the provider reported (ProviderContext.apiCalls). */
  apiCalls: CloudApiCall[];
}

/** A paper fake (instances without VMs) and a provider pointed at it; both stopped after the file. */
export async function awsRig(
  options: { env?: Record<string, string>; fake?: FakeEc2Options; faults?: Ec2Faults } = {},
): Promise<AwsRig> {
  const fakeLogs: string[] = [];
  const fake = await FakeEc2.start({
    faults: options.faults,
    log: (line) => fakeLogs.push(line),
    ...options.fake,
  });
  after(() => fake.stop());
  const logs: string[] = [];
  const env = {
    ...FAKE_KEYS,
    ...fake.clientEnv(),
    ...options.env,
  };
  const { values } = resolveOptions(awsProviderFactory.options, {}, env);
  const apiCalls: CloudApiCall[] = [];
  const provider = (await awsProviderFactory.create(values, {
    log: (line) => logs.push(line),
    owner: OWNER,
    apiCalls: (call) => apiCalls.push(call),
  })) as AwsRig['provider'];
  after(() => provider.teardown());
  return { fake, provider, logs, apiCalls };
}

export function spec(overrides: Partial<InstanceTypeSpec> = {}): InstanceTypeSpec {
  return {
    instanceType: '',
    vcpus: 0,
    memoryMiB: 0,
    gpus: 0,
    image: '',
    multiNic: false,
    volumes: [],
    ...overrides,
  };
}

let counter = 0;
export function createRequest(overrides: Partial<CreateInstanceRequest> = {}): CreateInstanceRequest {
  counter++;
  const sandboxId = `${String(counter).padStart(2, '0')}${'ab'.repeat(31)}`;
  return {
    podName: `web-${counter}`,
    sandboxId,
    instanceName: `podvm-web-${counter}-${sandboxId.slice(0, 8)}`,
    userData: '#cloud-config\n\nwrite_files:\n  - path: /run/peerpod/apf.json\n    content: |\n      {}\n',
    spec: spec(),
    signal: new AbortController().signal,
    ...overrides,
  };
}
