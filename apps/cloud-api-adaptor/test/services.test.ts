import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { encodeInitdataAnnotation } from '@peerpods/initdata';
import { PodVMInfoService } from '@peerpods/protocols';
import { createServiceClient, TtrpcClient, type TtrpcError } from '@peerpods/ttrpc';
import { parse } from 'yaml';
import { POD_ANNOTATIONS, sandboxId, startTestDaemon, tempDir } from './harness';

async function getInfo(socket: string, podName: string, wait: boolean, timeoutMs?: number) {
  const client = await TtrpcClient.connect({ path: socket });
  try {
    return await createServiceClient(PodVMInfoService, client).getInfo(
      { PodName: podName, PodNamespace: 'default', Wait: wait },
      timeoutMs === undefined ? {} : { timeoutMs },
    );
  } finally {
    client.close();
  }
}

describe('podvminfo.PodVMInfo/GetInfo', () => {
  test('not found without Wait; the instance id once started', async () => {
    const caa = await startTestDaemon();
    await assert.rejects(getInfo(caa.socketPath, 'web', false), (error: TtrpcError) => {
      return error.code === 5 && error.description === 'VM ID for default:web was not found';
    });
    const id = sandboxId(60);
    await caa.call.createVM(id, POD_ANNOTATIONS('web'));
    await caa.call.startVM(id);
    assert.deepEqual((await getInfo(caa.socketPath, 'web', false)).VMID, 'i-000001');
    await caa.call.stopVM(id);
  });

  test('Wait blocks until the pod has an instance, and honours the call’s deadline', async () => {
    const caa = await startTestDaemon();
    await assert.rejects(
      getInfo(caa.socketPath, 'later', true, 200),
      (error: TtrpcError) => error.code === 4,
    );
    const waiting = getInfo(caa.socketPath, 'later', true, 10_000);
    const id = sandboxId(61);
    await caa.call.createVM(id, POD_ANNOTATIONS('later'));
    await caa.call.startVM(id);
    assert.equal((await waiting).VMID, 'i-000001');
    await caa.call.stopVM(id);
  });
});

describe('daemon behaviour', () => {
  test('one pod’s slow provider call does not hold up another pod’s StartVM', async () => {
    const caa = await startTestDaemon();
    const slow = sandboxId(70);
    const fast = sandboxId(71);
    await caa.call.createVM(slow, POD_ANNOTATIONS('slow-4000'));
    await caa.call.createVM(fast, POD_ANNOTATIONS('quick'));
    let slowDone = false;
    const slowStart = caa.call.startVM(slow).then(() => {
      slowDone = true;
    });
    await caa.call.startVM(fast);
    assert.equal(slowDone, false, 'the fast pod started while the slow one was still being created');
    await slowStart;
    await Promise.all([caa.call.stopVM(slow), caa.call.stopVM(fast)]);
  });

  test('global -initdata is used as is when the pod has no annotation; the annotation wins otherwise', async () => {
    const global = encodeInitdataAnnotation('algorithm = "sha256"\nversion = "0.1.0"\n\n[data]\n');
    const caa = await startTestDaemon({ initdata: global });
    const initdataOf = (instanceId: string) => {
      const doc = parse(caa.state.userData.get(instanceId)!) as {
        write_files: Array<{ path: string; content?: string }>;
      };
      return doc.write_files.find((f) => f.path === '/run/peerpod/initdata')?.content?.trim();
    };
    const plain = sandboxId(72);
    await caa.call.createVM(plain, POD_ANNOTATIONS('plain'));
    await caa.call.startVM(plain);
    assert.equal(initdataOf('i-000001'), global);
    const own = sandboxId(73);
    const toml = 'algorithm = "sha512"\nversion = "0.1.0"\n\n[data]\n';
    await caa.call.createVM(own, {
      ...POD_ANNOTATIONS('own'),
      'io.katacontainers.config.hypervisor.cc_init_data': toml,
    });
    await caa.call.startVM(own);
    assert.equal(initdataOf('i-000002'), encodeInitdataAnnotation(toml));
    await Promise.all([caa.call.stopVM(plain), caa.call.stopVM(own)]);
  });

  test('an invalid global -initdata stops the start with a message naming it', async () => {
    await assert.rejects(startTestDaemon({ initdata: 'not-base64-gzip' }), /-initdata/);
  });

  test('a stale socket file from a previous run is replaced', async () => {
    const dir = tempDir();
    const stale = join(dir, 'hypervisor.sock');
    writeFileSync(stale, 'left over');
    const caa = await startTestDaemon({ socket: stale });
    const id = sandboxId(74);
    await caa.call.createVM(id, POD_ANNOTATIONS('fresh'));
    await caa.call.stopVM(id);
  });

  test('-tls-skip-verify accepts a forwarder certificate from another CA (testing only)', async () => {
    const caa = await startTestDaemon({ 'tls-skip-verify': true });
    const id = sandboxId(75);
    await caa.call.createVM(id, POD_ANNOTATIONS('bad-ca'));
    await caa.call.startVM(id);
    assert.ok(caa.logs.some((line) => line.includes('-tls-skip-verify is set')));
    await caa.call.stopVM(id);
  });

  test('-disable-tls talks plain TCP to the forwarder and warns', async () => {
    const caa = await startTestDaemon({ 'disable-tls': true });
    const id = sandboxId(76);
    await caa.call.createVM(id, POD_ANNOTATIONS('plain-tcp'));
    await caa.call.startVM(id);
    assert.ok(caa.logs.some((line) => line.includes('TLS is disabled')));
    await caa.call.stopVM(id);
  });
});
