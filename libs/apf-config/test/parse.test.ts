import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApfConfigError, parseApfConfig, serializeApfConfig } from '../src/index';

const golden = (name: string) => readFileSync(join(import.meta.dirname, 'golden', name), 'utf8');

describe('parseApfConfig', () => {
  for (const name of ['calico-tls.json', 'flannel-plain.json']) {
    test(`${name}: upstream's layout parses and is written back byte for byte`, () => {
      const text = golden(name);
      assert.equal(serializeApfConfig(parseApfConfig(text)), text);
    });
  }

  test('fields land where the forwarder needs them', () => {
    const config = parseApfConfig(golden('calico-tls.json'));
    assert.equal(config.podNetwork.podIp, '10.132.2.46/32');
    assert.equal(config.podNetwork.routes[1]?.gw, '169.254.1.1');
    assert.equal(config.podNetwork.neighbors[0]?.hwAddr, 'ee:ee:ee:ee:ee:ee');
    assert.equal(config.podNetwork.dedicated, true);
    assert.equal(config.tlsMinVersion, 'VersionTLS12');
    assert.deepEqual(config.tlsCipherSuites, [
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    ]);
  });

  test('unknown fields are ignored, as Go’s decoder ignores them', () => {
    const text = golden('flannel-plain.json').replace(
      '"pod-name": "nginx"',
      '"pod-name": "nginx", "from-the-future": 1',
    );
    assert.equal(parseApfConfig(text).podName, 'nginx');
  });

  test('Go’s null slices and empty lists are both accepted', () => {
    const text = golden('flannel-plain.json');
    assert.match(text, /"neighbors": null/);
    assert.deepEqual(parseApfConfig(text).podNetwork.neighbors, []);
    assert.deepEqual(
      parseApfConfig(text.replace('"neighbors": null', '"neighbors": []')).podNetwork.neighbors,
      [],
    );
  });

  test('errors name the field that is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      [
        golden('flannel-plain.json').replace('"protocol": "boot"', '"protocol": "bgp"'),
        /pod-network\.routes\[0\]\.protocol/,
      ],
      [golden('flannel-plain.json').replace('"mtu": 1450', '"mtu": "1450"'), /pod-network\.mtu/],
      [
        golden('flannel-plain.json').replace('"podip": "10.244.1.7/24"', '"podip": "10.244.1.7"'),
        /pod-network\.podip/,
      ],
      [golden('flannel-plain.json').replace(/"pod-namespace": "default",\n/, ''), /pod-namespace/],
      ['{"pod-network": ', /not valid JSON/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(
        () => parseApfConfig(text, '/run/peerpod/apf.json'),
        (error: Error) =>
          error instanceof ApfConfigError &&
          pattern.test(error.message) &&
          error.message.startsWith('/run/peerpod/apf.json: '),
        String(pattern),
      );
    }
  });
});
