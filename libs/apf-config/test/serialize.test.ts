import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApfConfig, parseApfConfig, serializeApfConfig } from '../src/index';

const base: ApfConfig = {
  podNetwork: {
    podIp: '10.244.0.19/32',
    podHwAddr: '0e:8f:62:f3:81:ad',
    interface: 'eth0',
    workerNodeIp: '10.224.0.4/16',
    tunnelType: 'vxlan',
    routes: [
      { dst: '169.254.1.1/32', dev: 'eth0', protocol: 'static', scope: 'link' },
      { dst: '0.0.0.0/0', gw: '169.254.1.1', dev: 'eth0', protocol: 'static', scope: 'universe' },
    ],
    neighbors: [{ ip: '169.254.1.1', hwAddr: 'ee:ee:ee:ee:ee:ee', dev: 'eth0', state: 'permanent' }],
    mtu: 1450,
    index: 0,
    vxlanPort: 4789,
    vxlanId: 555000,
    dedicated: false,
    externalNetViaPodVm: false,
  },
  podNamespace: 'default',
  podName: 'nginx',
};

test('field names and order are upstream’s; 4-space indent; no trailing newline', () => {
  const text = serializeApfConfig(base);
  assert.ok(!text.endsWith('\n'));
  assert.deepEqual(Object.keys(JSON.parse(text)), ['pod-network', 'pod-namespace', 'pod-name']);
  assert.deepEqual(Object.keys(JSON.parse(text)['pod-network']), [
    'podip',
    'pod-hw-addr',
    'interface',
    'worker-node-ip',
    'tunnel-type',
    'routes',
    'neighbors',
    'mtu',
    'index',
    'vxlan-port',
    'vxlan-id',
    'dedicated',
    'external-net-via-pod-vm',
  ]);
  assert.match(text, /^\{\n {4}"pod-network": \{\n {8}"podip": "10\.244\.0\.19\/32",/);
  assert.deepEqual(JSON.parse(text)['pod-network'].neighbors, [
    { ip: '169.254.1.1', 'hw-addr': 'ee:ee:ee:ee:ee:ee', dev: 'eth0', state: 'permanent' },
  ]);
});

test('omitempty where upstream has it: empty route strings, vxlan port/id, TLS fields; dst and gw always', () => {
  const text = serializeApfConfig({
    ...base,
    podNetwork: { ...base.podNetwork, routes: [{ dst: '', gw: '', dev: 'eth0' }], vxlanPort: 0, vxlanId: 0 },
    tlsServerCert: '',
    tlsCipherSuites: [],
  });
  const parsed = JSON.parse(text);
  // dst and gw are netip values upstream: omitempty never drops a struct, and its zero value is "".
  assert.deepEqual(parsed['pod-network'].routes, [{ dst: '', gw: '', dev: 'eth0' }]);
  assert.equal('vxlan-port' in parsed['pod-network'], false);
  assert.equal('tls-server-cert' in parsed, false);
  assert.equal('tls-cipher-suites' in parsed, false);
  assert.equal(parsed['pod-network'].dedicated, false, 'booleans that are not omitempty stay');
});

test('characters Go escapes in JSON strings are escaped the same way', () => {
  const text = serializeApfConfig({ ...base, podName: 'a<b>&c' });
  assert.match(text, /"pod-name": "a\\u003cb\\u003e\\u0026c"/);
  assert.equal(JSON.parse(text)['pod-name'], 'a<b>&c');
});

test('no routes or neighbours: null, as Go marshals a nil slice; each route carries dst and gw', () => {
  const text = serializeApfConfig({
    ...base,
    podNetwork: { ...base.podNetwork, routes: [], neighbors: [] },
  });
  assert.match(text, /\n {8}"routes": null,\n {8}"neighbors": null,\n/);
  const onlyGateway = serializeApfConfig({
    ...base,
    podNetwork: {
      ...base.podNetwork,
      routes: [{ gw: '10.0.0.1', dev: 'eth0' }],
      neighbors: [{ ip: '10.0.0.1', hwAddr: 'aa:bb:cc:dd:ee:ff', dev: 'eth0', state: 'permanent' }],
    },
  });
  assert.match(onlyGateway, /\{\n {16}"dst": "",\n {16}"gw": "10\.0\.0\.1",\n {16}"dev": "eth0"\n {12}\}/);
  // Read back by our parser (and upstream's), null lists are empty.
  assert.deepEqual(parseApfConfig(text, 'apf.json').podNetwork.routes, []);
  assert.deepEqual(parseApfConfig(text, 'apf.json').podNetwork.neighbors, []);
});
