// Clean-up at the edges, against the in-process fakes (no root needed): a CreateVM cut off after it was
// sent, a read that never ends after WaitProcess, an abort during CreateContainer, dial failures.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { AgentSession, HypervisorClient, launchSandbox } from '@peerpods/shim-client';
import { tempDir, waitFor } from '@peerpods/test-support';
import { FakeCloud, FakeNetwork } from './fakes';

const ID = 'd'.repeat(64);
let cloud: FakeCloud;
let network: FakeNetwork;

before(async () => {
  cloud = await new FakeCloud().start();
});
after(async () => {
  await cloud.stop();
});
beforeEach(() => {
  cloud.log.length = 0;
  cloud.script = { stdout: ['hello ', 'world\n'], stderr: ['warn\n'], exitCode: 0 };
  cloud.createVMHangs = false;
  cloud.onCreateVM = undefined;
  network = new FakeNetwork();
});

async function assertNoConnections(): Promise<void> {
  await waitFor(() => cloud.openConnections === 0, 'the client to close its connections', 5_000);
}

/** A sandbox with its agent, for the runContainer tests; closed and stopped by the returned function. */
async function sandbox(): Promise<{ session: AgentSession; close: () => Promise<void> }> {
  const client = await HypervisorClient.connect(cloud.socketPath);
  const agentSocket = await client.createVM({ id: ID, annotations: {}, networkNamespacePath: '/n' });
  await client.startVM(ID);
  const session = await AgentSession.connect(agentSocket);
  cloud.log.length = 0;
  return {
    session,
    close: async () => {
      session.close();
      await client.stopVM(ID);
      client.close();
    },
  };
}

test('launchSandbox aborted while CreateVM is unanswered: StopVM is sent, the pod network deleted', async () => {
  cloud.createVMHangs = true;
  const abort = new AbortController();
  // The daemon has the request (and the sandbox) when the abort comes.
  cloud.onCreateVM = () => abort.abort();
  await assert.rejects(
    launchSandbox({
      id: ID,
      socketPath: cloud.socketPath,
      networkOps: network,
      stateDir: false,
      signal: abort.signal,
    }),
    /CreateVM: .*canceled/,
  );
  assert.deepEqual(cloud.calls(), ['CreateVM', 'StopVM']);
  assert.equal(cloud.find('StopVM').request.id, ID);
  assert.deepEqual(network.live, []);
  assert.equal(network.deleted.length, 1);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});

test('launchSandbox whose CreateVM deadline passes unanswered: StopVM is sent, the pod network deleted', async () => {
  cloud.createVMHangs = true;
  await assert.rejects(
    launchSandbox({
      id: ID,
      socketPath: cloud.socketPath,
      networkOps: network,
      stateDir: false,
      hypervisorTimeouts: { createVMMs: 100 },
    }),
    /CreateVM: .*deadline exceeded/,
  );
  assert.deepEqual(cloud.calls(), ['CreateVM', 'StopVM']);
  assert.deepEqual(network.live, []);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});

test('runContainer: a stdout that never ends after WaitProcess (a background child) still resolves', {
  timeout: 30_000,
}, async () => {
  const { session, close } = await sandbox();
  try {
    cloud.script = { stdout: ['so ', 'far\n'], stderr: ['e\n'], exitCode: 4, stdoutNeverEnds: true };
    const chunks: string[] = [];
    const result = await session.runContainer({
      args: ['sh', '-c', 'echo so far; sleep 1000 &'],
      onStdout: (chunk) => chunks.push(chunk.toString()),
    });
    assert.equal(result.exitCode, 4);
    assert.equal(result.stdout.toString(), 'so far\n');
    assert.deepEqual(chunks, ['so ', 'far\n']);
    assert.equal(result.stderr.toString(), 'e\n');
    assert.deepEqual(cloud.calls(), ['CreateContainer', 'StartContainer', 'WaitProcess', 'RemoveContainer']);
  } finally {
    await close();
  }
  await assertNoConnections();
});

test('runContainer: an abort during CreateContainer starts nothing and removes the container', async () => {
  const { session, close } = await sandbox();
  try {
    const abort = new AbortController();
    cloud.script.onCreateContainer = () => abort.abort();
    await assert.rejects(session.runContainer({ args: ['true'], signal: abort.signal }), {
      name: 'AbortError',
    });
    assert.deepEqual(cloud.calls(), ['CreateContainer', 'RemoveContainer']);
    const created = cloud.find('CreateContainer').request.containerId;
    assert.equal(cloud.find('RemoveContainer').request.containerId, created);
  } finally {
    await close();
  }
  await assertNoConnections();
});

test('AgentSession.connect reports the real cause of a dial failure that waiting cannot cure', {
  timeout: 10_000,
}, async () => {
  // A path under a regular file: ENOTDIR. With the default 30 s dial budget, a retry would time the test out.
  const path = join(cloud.socketPath, 'agent.ttrpc');
  await assert.rejects(AgentSession.connect(path), (error: Error) => {
    assert.equal(error.message, `connecting to remote sock: ${path}: connect ENOTDIR ${path}`);
    assert.doesNotMatch(error.message, /timed out/);
    return true;
  });
});

test('AgentSession.connect still retries a missing socket and then says it timed out, naming the cause', async () => {
  const path = join(tempDir('shim-client-dial-'), 'agent.ttrpc');
  await assert.rejects(AgentSession.connect(path, { dialMs: 200 }), (error: Error) => {
    assert.equal(error.message, `timed out connecting to remote sock: ${path} (connect ENOENT ${path})`);
    return true;
  });
});
