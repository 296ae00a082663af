// 20 pod VM creates at once against govmomi's vcsim (tools/vcsim): the time per VM, against one
// create alone in the same run, and vcsim's VM count afterwards, which must be back where it
// started. Run: npm run bench -w libs/provider-vsphere
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '@peerpods/config';
import { instanceName } from '@peerpods/providers';
import { startVcsim } from '@peerpods/vcsim';
import { VSPHERE_OPTIONS } from '../src/options';
import { vsphereSettings } from '../src/settings';
import { Vcenter } from '../src/vcenter';
import { VsphereProvider } from '../src/vsphere-provider';

const COUNT = 20;
const dir = mkdtempSync(join(tmpdir(), 'vsphere-bench-'));
const vcsim = await startVcsim({ ownCa: { dir } });
try {
  const login = {
    url: new URL(vcsim.url),
    username: vcsim.username,
    password: vcsim.password,
    trust: { ca: vcsim.caPem! },
    log: () => {},
  };
  const admin = await Vcenter.connect(login);
  await admin.cloneAsTemplate('DC0/vm/DC0_H0_VM0', 'DC0/vm', 'DC0/host/DC0_H0/Resources', 'podvm-template');
  const vmCount = async () => (await admin.virtualMachines(['name'])).length;
  const before = await vmCount();
  const caFile = join(dir, 'ca.pem');
  (await import('node:fs')).writeFileSync(caFile, vcsim.caPem!);
  const { values } = resolveOptions(
    VSPHERE_OPTIONS,
    { 'simulator-guest-ip': '127.0.0.1' },
    {
      GOVC_URL: vcsim.url,
      GOVC_USERNAME: vcsim.username,
      GOVC_PASSWORD: vcsim.password,
      GOVC_TLS_CA_CERTS: caFile,
      GOVC_DATACENTER: 'DC0',
      GOVC_HOST: 'DC0_H0',
      GOVC_DATASTORE: 'LocalDS_0',
    },
  );
  const provider = await VsphereProvider.start(vsphereSettings(values), {
    log: () => {},
    owner: { nodeName: 'bench', clusterId: '' },
  });
  const create = (index: number) => {
    const sandboxId = `${String(index).padStart(4, '0')}${'e'.repeat(60)}`;
    return provider.createInstance({
      podName: `bench-${index}`,
      sandboxId,
      instanceName: instanceName(`bench-${index}`, sandboxId),
      userData: '#cloud-config\n',
      spec: { instanceType: '', vcpus: 2, memoryMiB: 2048, gpus: 0, image: '', multiNic: false, volumes: [] },
      signal: AbortSignal.timeout(120_000),
    });
  };
  let started = performance.now();
  const single = await create(999);
  const singleMs = performance.now() - started;
  await provider.deleteInstance(single.id);
  started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: COUNT }, (_, index) => create(index)));
  const wallMs = performance.now() - started;
  const ok = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.id] : []));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
  const during = await vmCount();
  await Promise.all(ok.map((id) => provider.deleteInstance(id)));
  const after = await vmCount();
  await provider.teardown();
  await admin.logout();
  console.log(
    `| ${COUNT} creates at once against vcsim | wall | per VM | vs one create alone | succeeded | VMs before / during / after |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(
    `| clone, reconfigure, power on, address | ${(wallMs / 1000).toFixed(2)} s | ${(wallMs / COUNT).toFixed(0)} ms | ${(wallMs / COUNT / singleMs).toFixed(2)}x (alone ${singleMs.toFixed(0)} ms) | ${ok.length} | ${before} / ${during} / ${after} |`,
  );
  for (const failure of failures.slice(0, 5)) console.log(`failure: ${failure}`);
  if (ok.length !== COUNT || after !== before) process.exitCode = 1;
} finally {
  await vcsim.stop();
  rmSync(dir, { recursive: true, force: true });
}
