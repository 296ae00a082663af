// The azure provider against the ARM fake (tools/fake-arm) on loopback over HTTPS: the real SDKs,
// ARM's wire format, and @azure/identity fetching its token from the fake's Entra ID endpoint.

import { after } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { resolveOptions } from '@peerpods/config';
import { type ArmFaults, FakeArm, type FakeArmOptions } from '@peerpods/fake-arm';
import type {
  CloudApiCall,
  CreateInstanceRequest,
  InstanceTypeCatalog,
  InstanceTypeSpec,
  Owner,
  Provider,
} from '@peerpods/providers';
import { azureProviderFactory } from '../src/index';

export const FAKE_SECRET = 'fake~azure~client~secret~never-logged';
export const OWNER: Owner = { nodeName: 'worker-a', clusterId: 'test-cluster' };

export interface AzureRig {
  fake: FakeArm;
  provider: Provider & { instanceTypeCatalog(): InstanceTypeCatalog };
  logs: string[];
  env: Record<string, string>;
  /** Every ARM request the provider reported (ProviderContext.apiCalls). */
  apiCalls: CloudApiCall[];
}

/** A paper fake (VMs without pod VMs) trusted through its CA, and a provider pointed at it. */
export async function azureRig(
  options: { env?: Record<string, string>; fake?: FakeArmOptions; faults?: ArmFaults; keyFile?: string } = {},
): Promise<AzureRig> {
  const fake = await FakeArm.start({ faults: options.faults, ...options.fake });
  after(() => fake.stop());
  // What NODE_EXTRA_CA_CERTS does for a process started later, for this one now.
  setDefaultCACertificates([...getCACertificates('default'), fake.ca.certPem]);
  const env = {
    AZURE_CLIENT_ID: '00000000-0000-4000-8000-00000000c11e',
    AZURE_CLIENT_SECRET: FAKE_SECRET,
    ...fake.clientEnv(),
    ...options.env,
  };
  const { values } = resolveOptions(
    azureProviderFactory.options,
    options.keyFile ? { 'ssh-key-path': options.keyFile } : {},
    env,
  );
  const logs: string[] = [];
  const apiCalls: CloudApiCall[] = [];
  const provider = (await azureProviderFactory.create(values, {
    log: (line) => logs.push(line),
    owner: OWNER,
    apiCalls: (call) => apiCalls.push(call),
  })) as AzureRig['provider'];
  after(() => provider.teardown());
  return { fake, provider, logs, env, apiCalls };
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
  const sandboxId = `${String(counter).padStart(2, '0')}${'a1'.repeat(31)}`;
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
