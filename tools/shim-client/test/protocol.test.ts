// The requests the library and the CLI send, against in-process fakes of cloud-api-adaptor's
// hypervisor service and of the kata agent (no root needed: the pod network is a recording fake).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { runCaptured } from '@peerpods/cli';
import {
  SANDBOX_NAME_ANNOTATION,
  SANDBOX_NAMESPACE_ANNOTATION,
  SANDBOX_UID_ANNOTATION,
} from '@peerpods/providers';
import {
  AgentSession,
  buildCli,
  CallError,
  DEFAULT_CONTAINER_ENV,
  HypervisorClient,
  podNetnsName,
} from '@peerpods/shim-client';
import { tempDir, waitFor } from '@peerpods/test-support';
import { FakeCloud, FakeNetwork } from './fakes';

const ID = 'a'.repeat(64);
let cloud: FakeCloud;
let network: FakeNetwork;
let stateDir: string;
const stateRoot = tempDir('shim-client-state-');
let stateCount = 0;

before(async () => {
  cloud = await new FakeCloud().start();
});
after(async () => {
  await cloud.stop();
});
/** Every client closed its connections (they go a moment after close()). */
async function assertNoConnections(): Promise<void> {
  await waitFor(() => cloud.openConnections === 0, 'the client to close its connections', 5_000);
}

beforeEach(() => {
  cloud.log.length = 0;
  cloud.script = { stdout: ['hello ', 'world\n'], stderr: ['warn\n'], exitCode: 0 };
  cloud.startVMError = undefined;
  cloud.createVMHangs = false;
  network = new FakeNetwork();
  stateDir = join(stateRoot, String(++stateCount));
});

function cli(): {
  run: (argv: string[]) => ReturnType<typeof runCaptured>;
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  const program = buildCli({
    io: {
      stdout: (chunk) => {
        out += chunk;
      },
      stderr: (chunk) => {
        err += chunk;
      },
    },
    networkOps: network,
  });
  return {
    run: (argv) => runCaptured(program, ['--socket', cloud.socketPath, '--state-dir', stateDir, ...argv]),
    out: () => out,
    err: () => err,
  };
}

function assertContainerCalls(containerId: string | undefined, args: string[]): string {
  const create = cloud.find('CreateContainer').request;
  const id = containerId ?? create.containerId;
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(create.containerId, id);
  assert.equal(create.execId, id, 'exec_id is the container id');
  const spec = create.OCI;
  assert.equal(spec.Version, '1.1.0');
  assert.deepEqual(spec.Process.Args, args);
  assert.deepEqual(spec.Process.Env, DEFAULT_CONTAINER_ENV);
  assert.equal(spec.Process.Cwd, '/');
  assert.equal(spec.Process.Terminal, false);
  assert.equal(spec.Process.User.UID, 0);
  assert.equal(spec.Root.Path, '/');
  const network = spec.Linux.Namespaces.filter((ns: { Type: string }) => ns.Type === 'network');
  assert.deepEqual(
    network.map((ns: { Type: string; Path: string }) => ({ Type: ns.Type, Path: ns.Path })),
    [{ Type: 'network', Path: '' }],
  );
  assert.equal(cloud.find('StartContainer').request.containerId, id);
  const wait = cloud.find('WaitProcess').request;
  assert.deepEqual([wait.containerId, wait.execId], [id, id]);
  assert.equal(cloud.find('RemoveContainer').request.containerId, id);
  for (const entry of cloud.log.filter((e) => e.method === 'ReadStdout' || e.method === 'ReadStderr')) {
    assert.deepEqual([entry.request.containerId, entry.request.execId], [id, id]);
    assert.ok(entry.request.len > 0);
  }
  // Reads come after StartContainer and before RemoveContainer; each stream read until its EOF error.
  const methods = cloud.methods();
  const first = methods.findIndex((m) => m === 'ReadStdout' || m === 'ReadStderr');
  assert.ok(first > methods.indexOf('StartContainer'));
  assert.ok(methods.lastIndexOf('ReadStdout') < methods.indexOf('RemoveContainer'));
  return id;
}

/** A started sandbox on the fake daemon and an agent session on it, stopped and closed afterwards. */
async function withSession(work: (session: AgentSession) => Promise<void>): Promise<void> {
  const client = await HypervisorClient.connect(cloud.socketPath);
  const agentSocket = await client.createVM({ id: ID, annotations: {}, networkNamespacePath: '/n' });
  await client.startVM(ID);
  const session = await AgentSession.connect(agentSocket);
  try {
    await work(session);
  } finally {
    session.close();
    await client.stopVM(ID);
    client.close();
  }
}

test('HypervisorClient sends CreateVM{id, annotations, networkNamespacePath}, StartVM, StopVM, Version', async () => {
  const client = await HypervisorClient.connect(cloud.socketPath);
  try {
    const annotations = { [SANDBOX_NAME_ANNOTATION]: 'p', [SANDBOX_NAMESPACE_ANNOTATION]: 'ns' };
    const agentSocket = await client.createVM({ id: ID, annotations, networkNamespacePath: '/run/netns/x' });
    assert.equal(agentSocket, cloud.agentSocketPath(ID));
    await client.startVM(ID);
    assert.equal(await client.version(), '0.0.0');
    await client.stopVM(ID);
    assert.deepEqual(cloud.methods(), ['CreateVM', 'StartVM', 'Version', 'StopVM']);
    const create = cloud.find('CreateVM').request;
    assert.equal(create.id, ID);
    assert.deepEqual(create.annotations, annotations);
    assert.equal(create.networkNamespacePath, '/run/netns/x');
    assert.equal(cloud.find('StartVM').request.id, ID);
    assert.equal(cloud.find('StopVM').request.id, ID);
  } finally {
    client.close();
  }
});

test("a failing hypervisor call keeps the daemon's message and status code", async () => {
  const client = await HypervisorClient.connect(cloud.socketPath);
  try {
    const error = await client.stopVM('b'.repeat(64)).then(
      () => assert.fail('StopVM of an unknown id succeeded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CallError);
    assert.equal(error.code, 2);
    assert.equal(error.description, `stopping VM: sandbox ${'b'.repeat(64)} does not exist`);
    assert.match(
      error.message,
      /^remote hypervisor call failed: StopVM: rpc error: code = Unknown desc = stopping VM/,
    );
  } finally {
    client.close();
  }
});

test('AgentSession.runContainer: the shim sequence, chunks in order through onStdout, exit code', async () => {
  await withSession(async (session) => {
    cloud.log.length = 0;
    cloud.script = { stdout: ['one ', 'two ', 'three\n'], stderr: ['e1', 'e2'], exitCode: 7 };
    const chunks: string[] = [];
    const errChunks: string[] = [];
    const result = await session.runContainer({
      args: ['sh', '-c', 'echo one two three'],
      onStdout: (chunk) => chunks.push(chunk.toString()),
      onStderr: (chunk) => errChunks.push(chunk.toString()),
    });
    assert.deepEqual(chunks, ['one ', 'two ', 'three\n']);
    assert.deepEqual(errChunks, ['e1', 'e2']);
    assert.equal(result.exitCode, 7);
    assert.equal(result.stdout.toString(), 'one two three\n');
    assert.equal(result.stderr.toString(), 'e1e2');
    assert.equal(assertContainerCalls(undefined, ['sh', '-c', 'echo one two three']), result.containerId);
    assert.deepEqual(cloud.calls(), ['CreateContainer', 'StartContainer', 'WaitProcess', 'RemoveContainer']);
    // Three chunks then the EOF error on stdout, two then EOF on stderr.
    assert.equal(cloud.methods().filter((m) => m === 'ReadStdout').length, 4);
    assert.equal(cloud.methods().filter((m) => m === 'ReadStderr').length, 3);
  });
});

test('runContainer: a given container id, env and cwd are sent as given', async () => {
  await withSession(async (session) => {
    const containerId = 'c'.repeat(64);
    await session.runContainer({ containerId, args: ['env'], env: ['A=1'], cwd: '/tmp' });
    const spec = cloud.find('CreateContainer').request.OCI;
    assert.equal(cloud.find('CreateContainer').request.containerId, containerId);
    assert.deepEqual(spec.Process.Env, ['A=1']);
    assert.equal(spec.Process.Cwd, '/tmp');
  });
});

test('runContainer: a failing WaitProcess is thrown, and the container is still removed', async () => {
  await withSession(async (session) => {
    cloud.log.length = 0;
    cloud.script = { stdout: [], stderr: [], exitCode: 0, waitError: 'process 1 vanished' };
    await assert.rejects(session.runContainer({ args: ['true'] }), /WaitProcess: .*process 1 vanished/);
    assert.deepEqual(cloud.calls(), ['CreateContainer', 'StartContainer', 'WaitProcess', 'RemoveContainer']);
  });
});

test('runContainer: aborting kills the process (SIGKILL), removes the container and rejects', async () => {
  await withSession(async (session) => {
    cloud.log.length = 0;
    cloud.script = { stdout: ['tick\n'], stderr: [], exitCode: 0, hang: true };
    const abort = new AbortController();
    const running = session.runContainer({
      args: ['sleep', 'infinity'],
      signal: abort.signal,
      onStdout: () => abort.abort(),
    });
    await assert.rejects(running, { name: 'AbortError' });
    assert.equal(cloud.find('SignalProcess').request.signal, 9);
    assert.ok(cloud.methods().includes('RemoveContainer'));
  });
});

test('CLI create, exec, stop: the kata shim sequence and fields, state kept between invocations', async () => {
  const create = cli();
  const created = await create.run([
    'create',
    '--id',
    ID,
    '--pod-name',
    'nginx',
    '--pod-namespace',
    'web',
    '--pod-uid',
    'uid-1',
    '--annotation',
    'io.katacontainers.config.hypervisor.machine_type=t3.small',
    '--annotation',
    'x=a=b',
  ]);
  assert.equal(created.exitCode, 0, create.err());
  assert.match(create.out(), new RegExp(`sandbox +${ID}`));
  assert.match(create.out(), /pod IP +10\.244\.0\.2\/24/);
  assert.match(create.out(), /MAC +0a:58:0a:f4:00:02/);
  assert.match(create.out(), new RegExp(`netns +/run/netns/${podNetnsName(ID)}`));
  assert.match(create.out(), /step +CreateVM +[\d.]+ ms/);
  assert.ok(existsSync(join(stateDir, `${ID}.json`)));
  assert.deepEqual(cloud.calls(), ['CreateVM', 'StartVM', 'Check', 'CreateSandbox']);
  const createVM = cloud.find('CreateVM').request;
  assert.equal(createVM.id, ID);
  assert.equal(createVM.networkNamespacePath, `/run/netns/cni-${ID.slice(0, 12)}`);
  assert.deepEqual(createVM.annotations, {
    [SANDBOX_NAME_ANNOTATION]: 'nginx',
    [SANDBOX_NAMESPACE_ANNOTATION]: 'web',
    [SANDBOX_UID_ANNOTATION]: 'uid-1',
    'io.katacontainers.config.hypervisor.machine_type': 't3.small',
    x: 'a=b',
  });
  assert.equal(cloud.find('StartVM').request.id, ID);
  const sandbox = cloud.find('CreateSandbox').request;
  assert.equal(sandbox.sandboxId, ID);
  assert.equal(sandbox.hostname, 'nginx');
  assert.deepEqual(
    network.created.map((h) => h.name),
    [`cni-${ID.slice(0, 12)}`],
  );

  cloud.log.length = 0;
  cloud.script = { stdout: ['out\n'], stderr: ['err\n'], exitCode: 3 };
  const exec = cli();
  const executed = await exec.run(['exec', '--id', ID, '--', 'sh', '-c', 'exit 3']);
  assert.equal(executed.exitCode, 3, 'the command exit code is passed through');
  assert.equal(exec.out(), 'out\n');
  assert.equal(exec.err(), 'err\n');
  assertContainerCalls(undefined, ['sh', '-c', 'exit 3']);

  cloud.log.length = 0;
  const stop = cli();
  const stopped = await stop.run(['stop', '--id', ID]);
  assert.equal(stopped.exitCode, 0, stop.err());
  assert.deepEqual(cloud.calls(), ['DestroySandbox', 'StopVM']);
  assert.equal(cloud.find('StopVM').request.id, ID);
  assert.deepEqual(network.live, []);
  assert.equal(existsSync(join(stateDir, `${ID}.json`)), false);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});

test('CLI run: create, exec, stop in one go; output streamed; exit code passed through', async () => {
  cloud.script = { stdout: ['a', 'b'], stderr: [], exitCode: 42 };
  const run = cli();
  const result = await run.run(['run', '--pod-name', 'demo', '--', 'uname', '-a']);
  assert.equal(result.exitCode, 42, run.err());
  assert.equal(run.out(), 'ab');
  assert.deepEqual(cloud.calls(), [
    'CreateVM',
    'StartVM',
    'Check',
    'CreateSandbox',
    'CreateContainer',
    'StartContainer',
    'WaitProcess',
    'RemoveContainer',
    'DestroySandbox',
    'StopVM',
  ]);
  const id = cloud.find('CreateVM').request.id;
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(cloud.find('StopVM').request.id, id);
  assertContainerCalls(undefined, ['uname', '-a']);
  assert.deepEqual(network.live, []);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
  assert.equal(existsSync(join(stateDir, `${id}.json`)), false);
});

test('CLI run: when the exec fails, the sandbox is still stopped and the network deleted', async () => {
  cloud.script = { stdout: [], stderr: [], exitCode: 0, createContainerError: 'no such image' };
  const run = cli();
  const result = await run.run(['run', '--', 'true']);
  assert.equal(result.exitCode, 1);
  assert.match(run.err(), /CreateContainer: .*no such image/);
  assert.deepEqual(cloud.calls().slice(-3), ['CreateContainer', 'DestroySandbox', 'StopVM']);
  assert.deepEqual(network.live, []);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});

test('CLI create: a StartVM failure stops the VM, deletes the network, saves nothing, exits non-zero', async () => {
  cloud.startVMError = 'creating an instance : quota exceeded';
  const create = cli();
  const result = await create.run(['create', '--id', ID]);
  assert.equal(result.exitCode, 1);
  assert.match(create.err(), /StartVM: .*creating an instance : quota exceeded/);
  assert.deepEqual(cloud.calls(), ['CreateVM', 'StartVM', 'StopVM']);
  assert.deepEqual(network.live, []);
  assert.equal(existsSync(join(stateDir, `${ID}.json`)), false);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});

test('CLI run: a signal while the command runs kills it, stops the sandbox, exits 130', async () => {
  cloud.script = { stdout: ['started\n'], stderr: [], exitCode: 0, hang: true };
  let out = '';
  const program = buildCli({
    io: {
      stdout: (chunk) => {
        out += chunk;
        if (out.includes('started')) setImmediate(() => process.emit('SIGWINCH'));
      },
      stderr: () => {},
    },
    networkOps: network,
    signals: ['SIGWINCH'],
  });
  const result = await runCaptured(program, [
    '--socket',
    cloud.socketPath,
    '--state-dir',
    stateDir,
    'run',
    '--',
    'sleep',
    'infinity',
  ]);
  assert.equal(result.exitCode, 130);
  assert.equal(cloud.find('SignalProcess').request.signal, 9);
  const calls = cloud.calls();
  const order = ['SignalProcess', 'RemoveContainer', 'DestroySandbox', 'StopVM'].map((m) => calls.indexOf(m));
  assert.ok(
    order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)),
    calls.join(', '),
  );
  assert.deepEqual(network.live, []);
  assert.equal(cloud.liveSandboxes, 0);
  await assertNoConnections();
});
