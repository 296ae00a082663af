import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Provider, ProviderFactory } from '../src/provider';
import { ProviderRegistry } from '../src/registry';

const factory = (name: string): ProviderFactory => ({
  name,
  description: `${name} provider`,
  options: [{ flag: 'region', env: 'REGION', type: 'string', default: '', description: 'where' }],
  userDataEncoding: 'base64',
  create: async (): Promise<Provider> => ({
    createInstance: async (request) => ({ id: 'i-1', name: request.instanceName, ips: ['192.0.2.1'] }),
    deleteInstance: async () => {},
    teardown: async () => {},
    verifyConfig: async () => {},
    listInstances: async () => [],
  }),
});

test('registered factories are found by name, and names() is sorted', () => {
  const registry = new ProviderRegistry();
  const aws = factory('aws');
  registry.register(factory('libvirt'));
  registry.register(aws);
  registry.register(factory('ibmcloud-powervs'));
  assert.equal(registry.get('aws'), aws);
  assert.equal(registry.get('gcp'), undefined);
  assert.deepEqual(registry.names(), ['aws', 'ibmcloud-powervs', 'libvirt']);
});

test('registering a name twice is an error and keeps the first', () => {
  const registry = new ProviderRegistry();
  const first = factory('aws');
  registry.register(first);
  assert.throws(() => registry.register(factory('aws')), { message: 'provider "aws" is already registered' });
  assert.equal(registry.get('aws'), first);
});

test('registries are independent', () => {
  const a = new ProviderRegistry();
  a.register(factory('aws'));
  assert.deepEqual(new ProviderRegistry().names(), []);
});
