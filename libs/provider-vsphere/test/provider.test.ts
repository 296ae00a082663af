// The vsphere provider over its own SOAP client against govmomi's vcsim (tools/vcsim; a simulator,
// not vSphere), on loopback.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import {
  type CloudApiCall,
  type CreateInstanceRequest,
  InstanceCreationError,
  instanceName,
} from '@peerpods/providers';
import { tempDir } from '@peerpods/test-support';
import { startVcsim, type Vcsim } from '@peerpods/vcsim';
import { VSPHERE_OPTIONS } from '../src/options';
import { vsphereSettings } from '../src/settings';
import { textOf } from '../src/soap-xml';
import { Vcenter } from '../src/vcenter';
import { VsphereProvider } from '../src/vsphere-provider';

const owner = { nodeName: 'worker-1', clusterId: '' };
let vcsim: Vcsim;
let caFile = '';
const dir = tempDir();

before(async () => {
  vcsim = await startVcsim({ ownCa: { dir }, password: 'right-password-7c1e' });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, vcsim.caPem!);
  // vcsim has no template: make podvm-template from one of its VMs, as an operator would.
  const admin = await adminSession();
  await admin.cloneAsTemplate('DC0/vm/DC0_H0_VM0', 'DC0/vm', 'DC0/host/DC0_H0/Resources', 'podvm-template');
  await admin.logout();
});
after(async () => {
  await vcsim?.stop();
});

/** A session of vcsim's user of its own, as an administrator would open beside the provider. */
function adminSession(): Promise<Vcenter> {
  return Vcenter.connect({
    url: new URL(vcsim.url),
    username: vcsim.username,
    password: vcsim.password,
    trust: { ca: vcsim.caPem! },
    log: () => {},
  });
}

function settings(env: NodeJS.ProcessEnv = {}, flags: Record<string, string> = {}) {
  const { values } = resolveOptions(
    VSPHERE_OPTIONS,
    { 'simulator-guest-ip': '127.0.0.1', ...flags },
    {
      GOVC_URL: vcsim.url,
      GOVC_USERNAME: vcsim.username,
      GOVC_PASSWORD: vcsim.password,
      GOVC_TLS_CA_CERTS: caFile,
      GOVC_DATACENTER: 'DC0',
      GOVC_HOST: 'DC0_H0',
      GOVC_DATASTORE: 'LocalDS_0',
      ...env,
    },
  );
  return vsphereSettings(values);
}

async function start(env: NodeJS.ProcessEnv = {}, flags: Record<string, string> = {}) {
  const lines: string[] = [];
  const apiCalls: CloudApiCall[] = [];
  const provider = await VsphereProvider.start(settings(env, flags), {
    log: (line) => lines.push(line),
    owner,
    apiCalls: (call) => apiCalls.push(call),
  });
  return { provider, lines, apiCalls };
}

let counter = 0;
function request(): CreateInstanceRequest {
  const sandboxId = `${String(++counter).padStart(2, '0')}${'cd'.repeat(31)}`;
  return {
    podName: 'nginx',
    sandboxId,
    instanceName: instanceName('nginx', sandboxId),
    userData: '#cloud-config\n\nwrite_files:\n  - path: /run/peerpod/apf.json\n    content: |\n      {}\n',
    spec: { instanceType: '', vcpus: 2, memoryMiB: 2048, gpus: 0, image: '', multiNic: false, volumes: [] },
    signal: new AbortController().signal,
  };
}

async function vmProperties(name: string, paths: string[]) {
  const admin = await adminSession();
  try {
    const vms = await admin.virtualMachines(['name', ...paths]);
    return vms.find((vm) => textOf(vm.properties.name) === name)?.properties;
  } finally {
    await admin.logout();
  }
}

test('lifecycle: the clone carries the user-data and ownership, gets its CPUs and memory, powers on and reports its address; deletion leaves nothing', async () => {
  const { provider, lines, apiCalls } = await start({ GOVC_FOLDER: 'peerpods/pods' });
  const asked = request();
  const instance = await provider.createInstance(asked);
  // What the metrics see: each SOAP call by its vim25 method, the clone among them.
  const clones = apiCalls.filter((call) => call.operation === 'CloneVM_Task');
  assert.deepEqual(
    clones.map(({ outcome, attempts }) => ({ outcome, attempts })),
    [{ outcome: 'success', attempts: 1 }],
  );
  assert.ok(apiCalls.some((call) => call.operation === 'Login' && call.outcome === 'success'));
  assert.equal(instance.name, asked.instanceName);
  assert.deepEqual(instance.ips, ['127.0.0.1']);
  assert.match(instance.id, /^[0-9a-f-]{36}$/);
  const props = await vmProperties(asked.instanceName, [
    'config.extraConfig',
    'config.hardware.numCPU',
    'config.hardware.memoryMB',
    'runtime.powerState',
    'parent',
  ]);
  assert.ok(props, 'the VM exists');
  const extra = JSON.stringify(props['config.extraConfig']);
  assert.ok(
    extra.includes(Buffer.from(asked.userData).toString('base64')),
    'guestinfo.userdata is the base64 user-data',
  );
  assert.ok(extra.includes('guestinfo.userdata.encoding'));
  assert.ok(extra.includes(`peerpods.tag.peerpods-sandbox-id`) && extra.includes(asked.sandboxId));
  assert.match(JSON.stringify(props['config.hardware.numCPU']), /2/);
  assert.match(JSON.stringify(props['config.hardware.memoryMB']), /2048/);
  assert.match(JSON.stringify(props['runtime.powerState']), /poweredOn/);

  const listed = await provider.listInstances();
  assert.deepEqual(
    listed.map((entry) => [entry.id, entry.name, entry.sandboxId]),
    [[instance.id, instance.name, asked.sandboxId]],
  );
  await provider.deleteInstance(instance.id);
  assert.equal(await vmProperties(asked.instanceName, []), undefined, "vcsim's inventory has no such VM");
  await provider.deleteInstance(instance.id);
  assert.ok(lines.includes(`VM UUID ${instance.id} was already gone`), lines.join('\n'));
  assert.ok(!lines.join('\n').includes(vcsim.password), 'the password never reaches a log line');
  await provider.teardown();
});

test('bad cases: wrong password, unknown template, a thumbprint that does not match; the right thumbprint works', async () => {
  await assert.rejects(start({ GOVC_PASSWORD: 'wrong-password-3f' }), (error: Error) => {
    assert.match(error.message, /Error logging in user user: error Login failure/);
    assert.ok(!error.message.includes('wrong-password-3f'));
    return true;
  });
  await assert.rejects(
    start({ GOVC_TEMPLATE: 'no-such-template' }),
    /Cannot find VM template no-such-template/,
  );
  await assert.rejects(start({ GOVC_TEMPLATE: 'DC0_H0_VM1' }), /template not valid/);
  await assert.rejects(
    start({ GOVC_TLS_CA_CERTS: '', GOVC_THUMBPRINT: '00'.repeat(20) }),
    /thumbprint .* not the configured 00:00/,
  );
  const served = new X509Certificate(await certificateOf(vcsim.url)).fingerprint;
  const { provider } = await start({ GOVC_TLS_CA_CERTS: '', GOVC_THUMBPRINT: served });
  await provider.teardown();
  await assert.rejects(
    start({ GOVC_TLS_CA_CERTS: '' }),
    /self-signed|unable to verify|certificate/i,
    'no trust given: the system CAs, which do not know this one',
  );
});

test('a session that expires mid-run is renewed, and the create goes through', async () => {
  const { provider, lines } = await start();
  // Another session terminates the provider's own, as vCenter's idle timeout would.
  await terminateOtherSessions();
  const instance = await provider.createInstance(request());
  assert.ok(
    lines.some((line) => line.startsWith('Creating new session for user user due to current session error')),
    lines.join('\n'),
  );
  await provider.deleteInstance(instance.id);
  await provider.teardown();
});

test('a VM whose address never comes is handed back for deletion', async () => {
  const { provider } = await start({}, { 'simulator-guest-ip': '' });
  const asked = request();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('StartVM deadline')), 1500);
  let handedBack = '';
  await assert.rejects(provider.createInstance({ ...asked, signal: controller.signal }), (error: Error) => {
    assert.ok(error instanceof InstanceCreationError && error.instance?.id, String(error));
    handedBack = error.instance.id;
    return true;
  });
  // As the daemon does with what a failed create hands back.
  await provider.deleteInstance(handedBack);
  assert.equal(await vmProperties(asked.instanceName, []), undefined);
  await provider.teardown();
});

async function certificateOf(url: string): Promise<string> {
  const { connect } = await import('node:tls');
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64')}\n-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}

async function terminateOtherSessions(): Promise<void> {
  const admin = await adminSession();
  try {
    await admin.terminateOtherSessions();
  } finally {
    await admin.logout();
  }
}
