import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { VSPHERE_OPTIONS } from '../src/options';
import { vcenterUrl, vsphereSettings } from '../src/settings';
import { normalizeThumbprint } from '../src/tls-pinning';

const base = {
  GOVC_URL: 'vc.example',
  GOVC_USERNAME: 'u',
  GOVC_DATACENTER: 'DC0',
  GOVC_HOST: 'h',
  GOVC_DATASTORE: 'ds',
};
const settings = (env: NodeJS.ProcessEnv) => vsphereSettings(resolveOptions(VSPHERE_OPTIONS, {}, env).values);

test("upstream's names and defaults; govc's reading of GOVC_URL; secrets marked", () => {
  const resolved = settings(base);
  assert.equal(resolved.url.href, 'https://vc.example/sdk');
  assert.equal(resolved.template, 'podvm-template');
  assert.equal(resolved.drs, false);
  assert.deepEqual(
    resolved.trust,
    { system: true },
    'no thumbprint and no CA: the system CAs, never no verification',
  );
  assert.equal(
    vcenterUrl('https://user:secret@vc:8443').href,
    'https://vc:8443/sdk',
    'credentials never kept in the URL',
  );
  assert.deepEqual(
    VSPHERE_OPTIONS.filter((option) => option.secret).map((option) => option.env),
    ['GOVC_USERNAME', 'GOVC_PASSWORD', 'GOVC_THUMBPRINT'],
  );
});

test("upstream's checks: DRS needs a cluster, otherwise a host and a datastore; a thumbprint must be a SHA-1", () => {
  assert.throws(
    () => settings({ ...base, GOVC_DRS: 'true' }),
    /^Error: error: A cluster name is required with DRS$/,
  );
  assert.equal(settings({ ...base, GOVC_DRS: 'TRUE', GOVC_VCLUSTER: 'C' }).drs, true);
  assert.throws(
    () => settings({ ...base, GOVC_HOST: '' }),
    /^Error: error: A host and datastore name are required$/,
  );
  assert.throws(() => settings({ ...base, GOVC_URL: '' }), /-vcenter-url \(GOVC_URL\) is required/);
  assert.throws(() => settings({ ...base, GOVC_THUMBPRINT: 'abc' }), /invalid thumbprint "abc"/);
  assert.equal(
    normalizeThumbprint('2c11edd713877db57418b81c42c2561f0db95bb9'),
    '2C:11:ED:D7:13:87:7D:B5:74:18:B8:1C:42:C2:56:1F:0D:B9:5B:B9',
  );
  assert.throws(
    () => settings({ ...base, GOVC_TLS_CA_CERTS: '/no/such/ca.pem' }),
    /-vcenter-ca-file \/no\/such\/ca\.pem: ENOENT/,
  );
});
