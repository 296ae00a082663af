// apf.json and user-data for a fixed input, against golden files written from upstream's field
// lists (docs/compatibility.md §2.3, §2.5, §4.1). UPDATE_GOLDEN=1 rewrites user-data.yaml (review the diff).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { decodeInitdata } from '@peerpods/initdata';
import { silentLogger } from '@peerpods/log';
import { StubWorkerNetwork } from '@peerpods/podnetwork';
import type { Provider } from '@peerpods/providers';
import { parse } from 'yaml';
import { COMMON_OPTIONS } from '../src/common-options';
import { daemonConfig } from '../src/daemon-config';
import { SandboxManager } from '../src/sandbox-manager';
import { POD_ANNOTATIONS, sandboxId, tempDir } from './harness';

const golden = (name: string) => join(import.meta.dirname, 'golden', name);

test('apf.json and the #cloud-config user-data match the golden files', async () => {
  const dir = tempDir();
  const { values } = resolveOptions(
    COMMON_OPTIONS,
    { 'pods-dir': join(dir, 'pods'), 'enable-scratch-space': true, 'tls-min-version': 'VersionTLS13' },
    {},
  );
  const config = daemonConfig(values);
  let userData = '';
  const provider: Provider = {
    createInstance: async (request) => {
      userData = request.userData;
      throw new Error('golden: stop here');
    },
    deleteInstance: async () => {},
    teardown: async () => {},
    verifyConfig: async () => {},
    listInstances: async () => [],
  };
  const manager = new SandboxManager({
    config,
    provider,
    network: new StubWorkerNetwork({ vxlanPort: 4789, vxlanMinId: 555000 }),
    tls: {
      apfFields: async () => ({
        tlsServerKey: '-----BEGIN PRIVATE KEY-----\nSERVERKEY\n-----END PRIVATE KEY-----\n',
        tlsServerCert: '-----BEGIN CERTIFICATE-----\nSERVERCERT\n-----END CERTIFICATE-----\n',
        tlsClientCa: '-----BEGIN CERTIFICATE-----\nCLIENTCA\n-----END CERTIFICATE-----\n',
        tlsMinVersion: 'VersionTLS13',
      }),
      clientOptions: () => ({}),
    },
    log: silentLogger,
  });
  const id = sandboxId(1);
  const initdata =
    'algorithm = "sha384"\nversion = "0.1.0"\n\n[data]\n"policy.rego" = \'\'\'\npackage agent_policy\n\'\'\'\n';
  await manager.createVM(
    id,
    { ...POD_ANNOTATIONS('nginx'), 'io.katacontainers.config.hypervisor.cc_init_data': initdata },
    '/var/run/netns/cni-1',
  );
  await assert.rejects(manager.startVM(id, new AbortController().signal), /golden: stop here/);

  const apfJson = readFileSync(join(dir, 'pods', id, 'apf.json'), 'utf8');
  assert.equal(apfJson, readFileSync(golden('apf.json'), 'utf8'));

  if (process.env.UPDATE_GOLDEN) writeFileSync(golden('user-data.yaml'), userData);
  assert.equal(userData, readFileSync(golden('user-data.yaml'), 'utf8'));
  // And it says what upstream's strict reader expects: exactly these files, in this order.
  const doc = parse(userData) as { write_files: Array<{ path: string; content?: string }> };
  assert.deepEqual(
    doc.write_files.map((f) => f.path),
    ['/run/peerpod/apf.json', '/run/peerpod/initdata', '/run/peerpod/scratch-space.marker'],
  );
  assert.equal(doc.write_files[0]!.content, `${apfJson}\n`);
  assert.equal(doc.write_files[2]!.content, undefined);
  const decoded = decodeInitdata(doc.write_files[1]!.content!.trim());
  assert.equal(decoded.toml.toString(), initdata);
  assert.equal(decoded.algorithm, 'sha384');
  await manager.stopVM(id);
});
