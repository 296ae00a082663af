// The failure matrix: every case must end with zero instances, sockets, directories and listeners.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { StubWorkerNetwork } from '@peerpods/podnetwork';
import { agent } from '@peerpods/protocols';
import { TtrpcClient, TtrpcError } from '@peerpods/ttrpc';
import { TLS_STATE_FILE } from '../src/tls-state';
import { POD_ANNOTATIONS, sandboxId, startTestDaemon, type TestDaemon } from './harness';

async function failure(promise: Promise<unknown>): Promise<TtrpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TtrpcError, String(error));
    return error;
  }
  assert.fail('expected a failure');
}

function assertNothingLeft(caa: TestDaemon): void {
  assert.equal(caa.state.instances.size, 0, 'instances left');
  // The saved CA stays while the daemon runs (a restart's pod VMs trust it).
  assert.deepEqual(
    readdirSync(caa.podsDir).filter((entry) => entry !== TLS_STATE_FILE),
    [],
    'pod directories left',
  );
  assert.equal(caa.daemon.sandboxes.size, 0, 'sandboxes left');
}

describe('happy path', () => {
  test('CreateVM makes no cloud call; StartVM creates, connects; agent calls work; StopVM removes all', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(10);
    const socket = await caa.call.createVM(id, POD_ANNOTATIONS('web'));
    assert.equal(socket, join(caa.podsDir, id, 'agent.ttrpc'));
    assert.equal(caa.state.created, 0, 'no instance yet');
    assert.ok(existsSync(join(caa.podsDir, id, 'apf.json')));
    await caa.call.startVM(id);
    const client = await TtrpcClient.connect({ path: socket });
    const check = await client.call('grpc.Health', 'Check', new Uint8Array(0));
    assert.equal(Buffer.from(check).toString(), 'Check:');
    await caa.call.stopVM(id);
    // The shim's connection is still open (kata keeps it): it must have been cut, not waited for.
    const late = await failure(client.call('grpc.AgentService', 'GetGuestDetails', new Uint8Array(0)));
    assert.match(late.description, /ttrpc: closed/);
    client.close();
    assertNothingLeft(caa);
    assert.ok(!existsSync(socket));
  });

  test('the GPU annotation adds the CDI annotation to CreateContainer, and nothing else changes', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(11);
    const socket = await caa.call.createVM(id, POD_ANNOTATIONS('gpu-pod'));
    await caa.call.startVM(id);
    const client = await TtrpcClient.connect({ path: socket });
    const request = agent.CreateContainerRequest.fromPartial({
      containerId: 'c1',
      OCI: { Annotations: { 'io.katacontainers.config.hypervisor.default_gpus': '2', keep: 'me' } },
    });
    await client.call(
      'grpc.AgentService',
      'CreateContainer',
      agent.CreateContainerRequest.encode(request).finish(),
    );
    const [seen] = caa.state.forwarders.get(
      caa.state.deleted[0] ?? [...caa.state.instances.keys()][0]!,
    )!.calls;
    const decoded = agent.CreateContainerRequest.decode(seen!.payload);
    assert.deepEqual(decoded.OCI?.Annotations, {
      'io.katacontainers.config.hypervisor.default_gpus': '2',
      keep: 'me',
      'cdi.k8s.io/peer-pods': 'nvidia.com/gpu=all',
    });
    client.close();
    await caa.call.stopVM(id);
  });
});

describe('failure matrix', () => {
  test('createInstance fails: the error reaches the shim, nothing is left', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(20);
    await caa.call.createVM(id, POD_ANNOTATIONS('fail-create'));
    const error = await failure(caa.call.startVM(id));
    assert.equal(error.description, 'creating an instance : scripted: quota exceeded');
    assert.equal(caa.state.created, 0);
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('createInstance fails after the instance exists: the daemon deletes it', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(21);
    await caa.call.createVM(id, POD_ANNOTATIONS('fail-after-id'));
    const error = await failure(caa.call.startVM(id));
    assert.match(error.description, /^creating an instance : scripted: instance never became ready/);
    assert.deepEqual(caa.state.deleted, ['i-000001']);
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('the forwarder never answers: StartVM fails at the proxy timeout and the instance is deleted', async () => {
    const caa = await startTestDaemon({ 'proxy-timeout': '1500ms' });
    const id = sandboxId(22);
    await caa.call.createVM(id, POD_ANNOTATIONS('no-forwarder'));
    const error = await failure(caa.call.startVM(id));
    assert.match(error.description, /ECONNREFUSED/);
    assert.deepEqual(caa.state.deleted, ['i-000001']);
    assert.ok(caa.logs.some((line) => line.includes('Retrying failed agent proxy connection')));
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('the StartVM deadline expires: code 4, and the start is abandoned and cleaned up', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(23);
    await caa.call.createVM(id, POD_ANNOTATIONS('slow-3000'));
    const error = await failure(caa.call.startVM(id, 300));
    assert.equal(error.code, 4);
    // The provider call was aborted: no instance was ever made.
    await caa.call.stopVM(id);
    assert.equal(caa.state.created, 0);
    assertNothingLeft(caa);
  });

  test('StopVM during StartVM cancels the start and leaves nothing behind', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(24);
    await caa.call.createVM(id, POD_ANNOTATIONS('slow-2000'));
    const starting = failure(caa.call.startVM(id));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await caa.call.stopVM(id);
    // What happened, not how the provider call it cut short failed.
    assert.equal((await starting).description, 'start cancelled: StopVM for this sandbox');
    assertNothingLeft(caa);
  });

  test('shutdown during StartVM: the shim hears that the daemon is shutting down', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(26);
    await caa.call.createVM(id, POD_ANNOTATIONS('slow-2000'));
    const starting = failure(caa.call.startVM(id));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await caa.daemon.stop();
    assert.equal((await starting).description, 'start cancelled: the daemon is shutting down');
    assertNothingLeft(caa);
  });

  test('a failed StartVM replies only once the pod network is released (a shim may delete the namespace then)', async () => {
    const events: string[] = [];
    class RecordingNetwork extends StubWorkerNetwork {
      override async teardown(request: { sandboxId: string }): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await super.teardown(request);
        events.push('tunnel removed');
      }
    }
    const caa = await startTestDaemon(
      { 'proxy-timeout': '300ms' },
      { network: (settings) => new RecordingNetwork(settings) },
    );
    const id = sandboxId(27);
    await caa.call.createVM(id, POD_ANNOTATIONS('no-forwarder'));
    await failure(caa.call.startVM(id));
    events.push('StartVM answered');
    assert.deepEqual(events, ['tunnel removed', 'StartVM answered']);
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('after a pod VM’s forwarder dies, later agent calls fail Unavailable (a refused dial is a transport failure)', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(28);
    const socket = await caa.call.createVM(id, POD_ANNOTATIONS('web'));
    await caa.call.startVM(id);
    const client = await TtrpcClient.connect({ path: socket });
    await client.call('grpc.Health', 'Check', new Uint8Array(0));
    await [...caa.state.instances.values()][0]!.forwarder!.stop();
    for (let call = 0; call < 3; call++) {
      const error = await failure(client.call('grpc.Health', 'Check', new Uint8Array(0)));
      assert.equal(error.code, 14, `call ${call}: ${error.message}`);
    }
    client.close();
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('a duplicate CreateVM fails and does not disturb the first', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(25);
    await caa.call.createVM(id, POD_ANNOTATIONS('dup'));
    const error = await failure(caa.call.createVM(id, POD_ANNOTATIONS('dup')));
    assert.match(error.description, new RegExp(`sandbox ${id} already exists`));
    assert.ok(existsSync(join(caa.podsDir, id, 'apf.json')));
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('stopping the daemon with 5 pods running deletes every instance', async () => {
    const caa = await startTestDaemon();
    const ids = [30, 31, 32, 33, 34].map(sandboxId);
    await Promise.all(ids.map((id, i) => caa.call.createVM(id, POD_ANNOTATIONS(`pod-${i}`))));
    await Promise.all(ids.map((id) => caa.call.startVM(id)));
    assert.equal(caa.state.instances.size, 5);
    await caa.daemon.stop();
    assertNothingLeft(caa);
    assert.ok(!existsSync(caa.socketPath), 'hypervisor socket removed');
  });

  test('unknown sandbox ids get upstream’s errors', async () => {
    const caa = await startTestDaemon();
    assert.equal(
      (await failure(caa.call.startVM('nope'))).description,
      'getting sandbox: sandbox nope does not exist',
    );
    assert.equal(
      (await failure(caa.call.stopVM('nope'))).description,
      'stopping VM: sandbox nope does not exist',
    );
  });
});

describe('bad input is refused with a clear error', () => {
  test('missing pod name or namespace annotations', async () => {
    const caa = await startTestDaemon();
    const noName = POD_ANNOTATIONS('x');
    delete noName['io.kubernetes.cri.sandbox-name'];
    const error = await failure(caa.call.createVM(sandboxId(40), noName));
    assert.equal(error.description, 'pod name io.kubernetes.cri.sandbox-name is missing in annotations');
    const noNamespace = POD_ANNOTATIONS('x');
    delete noNamespace['io.kubernetes.cri.sandbox-namespace'];
    assert.match(
      (await failure(caa.call.createVM(sandboxId(41), noNamespace))).description,
      /sandbox-namespace/,
    );
    assert.equal(
      (await failure(caa.call.createVM('', POD_ANNOTATIONS('x')))).description,
      'empty sandbox id',
    );
    assert.match(
      (await failure(caa.call.createVM('../etc', POD_ANNOTATIONS('x')))).description,
      /invalid sandbox id/,
    );
    assertNothingLeft(caa);
  });

  test('a non-numeric vCPU count names the annotation', async () => {
    const caa = await startTestDaemon();
    const annotations = {
      ...POD_ANNOTATIONS('x'),
      'io.katacontainers.config.hypervisor.default_vcpus': 'two',
    };
    const error = await failure(caa.call.createVM(sandboxId(42), annotations));
    assert.match(
      error.description,
      /io\.katacontainers\.config\.hypervisor\.default_vcpus: "two" is not a number/,
    );
    assertNothingLeft(caa);
  });

  test('an unknown instance type, and sizes no type fits, fail with upstream’s messages', async () => {
    const caa = await startTestDaemon();
    const unknown = { ...POD_ANNOTATIONS('x'), 'io.katacontainers.config.hypervisor.machine_type': 'huge' };
    assert.match(
      (await failure(caa.call.createVM(sandboxId(43), unknown))).description,
      /requested instance type \("huge"\) is not part of supported instance types list/,
    );
    const tooBig = {
      ...POD_ANNOTATIONS('x'),
      'io.katacontainers.config.hypervisor.default_vcpus': '2',
      'io.katacontainers.config.hypervisor.default_memory': '131072',
    };
    assert.match(
      (await failure(caa.call.createVM(sandboxId(44), tooBig))).description,
      /no instance type found for the given vcpus \(2\) and memory \(131072\)/,
    );
    assertNothingLeft(caa);
  });

  test('an invalid TLS version stops the daemon at start, naming the option', async () => {
    await assert.rejects(startTestDaemon({ 'tls-min-version': 'VersionTLS11' }), /-tls-min-version/);
  });

  test('a forwarder with a certificate from another CA is refused', async () => {
    const caa = await startTestDaemon({ 'proxy-timeout': '1s' });
    const id = sandboxId(45);
    await caa.call.createVM(id, POD_ANNOTATIONS('bad-ca'));
    const error = await failure(caa.call.startVM(id));
    assert.match(error.description, /self[- ]signed|unable to verify|certificate/i);
    await caa.call.stopVM(id);
    assertNothingLeft(caa);
  });

  test('a forwarder whose certificate names another instance is refused', async () => {
    const caa = await startTestDaemon({ 'proxy-timeout': '1s' });
    const good = sandboxId(46);
    await caa.call.createVM(good, POD_ANNOTATIONS('first'));
    await caa.call.startVM(good);
    const bad = sandboxId(47);
    await caa.call.createVM(bad, POD_ANNOTATIONS('bad-name'));
    const error = await failure(caa.call.startVM(bad));
    assert.match(error.description, /Hostname\/IP does not match certificate's altnames|altnames/);
    await caa.call.stopVM(bad);
    await caa.call.stopVM(good);
    assertNothingLeft(caa);
  });
});

describe('concurrent StopVMs', () => {
  test('a second StopVM returns only once the first one’s clean-up is done', async () => {
    const caa = await startTestDaemon();
    const id = sandboxId(90);
    await caa.call.createVM(id, POD_ANNOTATIONS('twice'));
    await caa.call.startVM(id);
    const first = caa.daemon.sandboxes.stopVM(id);
    await caa.daemon.sandboxes.stopVM(id);
    assert.equal(caa.state.instances.size, 0, 'the instance is gone when the second StopVM returns');
    await first;
    assertNothingLeft(caa);
  });
});
