// The agent API over a real unix socket with a real ttrpc client: lifecycle, streams, signals, errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agent, health } from '@peerpods/protocols';
import { waitFor } from '@peerpods/test-support';
import { TtrpcError } from '@peerpods/ttrpc';
import { alive, assertEof, containerRequest, PATH_ENV, readAll, startTestAgent } from './harness';

const t = await startTestAgent();
const { client } = t;

function assertCode(error: unknown, code: number, message?: RegExp): true {
  assert.ok(error instanceof TtrpcError, `expected a TtrpcError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.description, message);
  return true;
}

test('Health Check is SERVING and Version names the dev-agent', async () => {
  const check = await t.health.check(health.CheckRequest.fromPartial({}));
  assert.equal(check.status, health.HealthCheckResponse_ServingStatus.SERVING);
  const version = await t.health.version(health.CheckRequest.fromPartial({}));
  assert.equal(version.agentVersion, '0.1.0-dev-agent');
  assert.notEqual(version.grpcVersion, '');
});

test('CreateSandbox once; a second is AlreadyExists; DestroySandbox allows a new one', async () => {
  const request = agent.CreateSandboxRequest.fromPartial({ hostname: 'pod', sandboxId: 'sb-1' });
  await client.createSandbox(request);
  await assert.rejects(client.createSandbox(request), (error) => assertCode(error, 6, /sb-1/));
  await client.destroySandbox({});
  await client.createSandbox(request);
});

test('init process: stdout, stderr, EOF, exit status; exec id "" and the container id both address it', async () => {
  await client.createContainer(containerRequest('c-init', ['sh', '-c', 'echo out; echo err >&2; exit 3']));
  await client.startContainer({ containerId: 'c-init' });
  const first = await client.readStdout(
    agent.ReadStreamRequest.fromPartial({ containerId: 'c-init', execId: '', len: 1024 }),
  );
  assert.equal(Buffer.from(first.data).toString(), 'out\n');
  await assert.rejects(
    client.readStdout(agent.ReadStreamRequest.fromPartial({ containerId: 'c-init', execId: '', len: 1024 })),
    (error) => {
      assertEof(error);
      return true;
    },
  );
  assert.equal(await readAll((r) => client.readStderr(r), 'c-init', 'c-init'), 'err\n');
  assert.equal((await client.waitProcess({ containerId: 'c-init', execId: 'c-init' })).status, 3);
  assert.equal((await client.waitProcess({ containerId: 'c-init', execId: '' })).status, 3);
  await client.removeContainer({ containerId: 'c-init', timeout: 0 });
});

test('CreateContainer does not start the process; duplicate ids are AlreadyExists', async () => {
  await client.createContainer(containerRequest('c-created', ['sh', '-c', 'echo started']));
  await assert.rejects(client.createContainer(containerRequest('c-created', ['true'])), (error) =>
    assertCode(error, 6, /c-created/),
  );
  // Not started: nothing to read yet, and the read waits rather than failing.
  await assert.rejects(
    client.readStdout(agent.ReadStreamRequest.fromPartial({ containerId: 'c-created', len: 10 }), {
      timeoutMs: 200,
    }),
    (error) => assertCode(error, 4),
  );
  await client.startContainer({ containerId: 'c-created' });
  assert.equal(await readAll((r) => client.readStdout(r), 'c-created'), 'started\n');
  await client.removeContainer({ containerId: 'c-created', timeout: 0 });
});

test('env is exactly the OCI env, cwd the OCI cwd (or / when it does not exist)', async () => {
  await client.createContainer(
    containerRequest('c-env', ['/usr/bin/env'], { env: ['ONLY=this', 'EMPTY='], cwd: '/tmp' }),
  );
  await client.startContainer({ containerId: 'c-env' });
  assert.deepEqual((await readAll((r) => client.readStdout(r), 'c-env')).trim().split('\n').sort(), [
    'EMPTY=',
    'ONLY=this',
  ]);
  await client.createContainer(containerRequest('c-cwd', ['pwd'], { cwd: '/tmp' }));
  await client.startContainer({ containerId: 'c-cwd' });
  assert.equal(await readAll((r) => client.readStdout(r), 'c-cwd'), '/tmp\n');
  await client.createContainer(containerRequest('c-nocwd', ['pwd'], { cwd: '/does/not/exist' }));
  await client.startContainer({ containerId: 'c-nocwd' });
  assert.equal(await readAll((r) => client.readStdout(r), 'c-nocwd'), '/\n');
  for (const id of ['c-env', 'c-cwd', 'c-nocwd'])
    await client.removeContainer({ containerId: id, timeout: 0 });
});

test('a missing executable fails StartContainer with NotFound and the container stays created', async () => {
  await client.createContainer(containerRequest('c-missing', ['no-such-program-dva']));
  await assert.rejects(client.startContainer({ containerId: 'c-missing' }), (error) =>
    assertCode(error, 5, /no-such-program-dva/),
  );
  // Still there: a second CreateContainer with the same id is refused, RemoveContainer works.
  await assert.rejects(client.createContainer(containerRequest('c-missing', ['true'])), (error) =>
    assertCode(error, 6),
  );
  await client.removeContainer({ containerId: 'c-missing', timeout: 0 });
});

test('ExecProcess with stdin: cat echoes what WriteStdin sent, CloseStdin ends it', async () => {
  await client.createContainer(containerRequest('c-exec', ['sleep', '100']));
  await client.startContainer({ containerId: 'c-exec' });
  await client.execProcess(
    agent.ExecProcessRequest.fromPartial({
      containerId: 'c-exec',
      execId: 'cat-1',
      process: { Args: ['cat'], Env: [PATH_ENV], Cwd: '/' },
    }),
  );
  const written = await client.writeStdin(
    agent.WriteStreamRequest.fromPartial({
      containerId: 'c-exec',
      execId: 'cat-1',
      data: Buffer.from('hello\n'),
    }),
  );
  assert.equal(written.len, 6);
  await client.writeStdin(
    agent.WriteStreamRequest.fromPartial({
      containerId: 'c-exec',
      execId: 'cat-1',
      data: Buffer.from('world'),
    }),
  );
  await client.closeStdin({ containerId: 'c-exec', execId: 'cat-1' });
  assert.equal(await readAll((r) => client.readStdout(r), 'c-exec', 'cat-1'), 'hello\nworld');
  assert.equal((await client.waitProcess({ containerId: 'c-exec', execId: 'cat-1' })).status, 0);
  await assert.rejects(client.waitProcess({ containerId: 'c-exec', execId: 'nope' }), (error) =>
    assertCode(error, 5, /nope/),
  );
  await client.removeContainer({ containerId: 'c-exec', timeout: 0 });
});

test('SignalProcess SIGTERM: WaitProcess gives 143 (128 + 15)', async () => {
  await client.createContainer(containerRequest('c-signal', ['sleep', '100']));
  await client.startContainer({ containerId: 'c-signal' });
  await client.signalProcess({ containerId: 'c-signal', execId: 'c-signal', signal: 15 });
  assert.equal((await client.waitProcess({ containerId: 'c-signal', execId: '' })).status, 143);
  await client.removeContainer({ containerId: 'c-signal', timeout: 0 });
});

test('RemoveContainer kills a running container with everything it forked', async () => {
  await client.createContainer(containerRequest('c-remove', ['sh', '-c', 'sleep 100 & echo $!; wait']));
  await client.startContainer({ containerId: 'c-remove' });
  const initPid = t.agent.table.get('c-remove').init.pid!;
  const first = await client.readStdout(
    agent.ReadStreamRequest.fromPartial({ containerId: 'c-remove', len: 64 }),
  );
  const sleepPid = Number(Buffer.from(first.data).toString().trim());
  assert.ok(alive(sleepPid));
  await client.removeContainer({ containerId: 'c-remove', timeout: 0 });
  assert.equal(alive(initPid), false);
  // The grandchild is reparented to init (or a subreaper), which reaps it shortly after the kill.
  await waitFor(() => !alive(sleepPid), `sleep ${sleepPid} to be gone`);
  await assert.rejects(client.startContainer({ containerId: 'c-remove' }), (error) => assertCode(error, 5));
});

test('unknown containers are NotFound with the id in the message', async () => {
  const calls: Array<() => Promise<unknown>> = [
    () => client.startContainer({ containerId: 'ghost' }),
    () => client.removeContainer({ containerId: 'ghost', timeout: 0 }),
    () => client.waitProcess({ containerId: 'ghost', execId: '' }),
    () => client.signalProcess({ containerId: 'ghost', execId: '', signal: 9 }),
    () => client.readStdout(agent.ReadStreamRequest.fromPartial({ containerId: 'ghost', len: 1 })),
    () => client.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'ghost', execId: 'e' })),
  ];
  for (const call of calls) await assert.rejects(call(), (error) => assertCode(error, 5, /ghost/));
});

test('methods the dev-agent lacks are Unimplemented (12) with a message naming them', async () => {
  await assert.rejects(client.pauseContainer({ containerId: 'x' }), (error) =>
    assertCode(error, 12, /^PauseContainer is not implemented by dev-agent$/),
  );
  await assert.rejects(client.getOOMEvent({}), (error) =>
    assertCode(error, 12, /^GetOOMEvent is not implemented by dev-agent$/),
  );
});

test('GetGuestDetails: block size, version, no seccomp, no init daemon', async () => {
  const details = await client.getGuestDetails(
    agent.GuestDetailsRequest.fromPartial({ memBlockSize: true, memHotplugProbe: true }),
  );
  assert.ok(details.memBlockSizeBytes > 0n);
  assert.equal(details.agentDetails?.version, '0.1.0-dev-agent');
  assert.equal(details.agentDetails?.supportsSeccomp, false);
  assert.equal(details.agentDetails?.initDaemon, false);
  assert.deepEqual(details.agentDetails?.deviceHandlers, []);
});

test('several outstanding reads neither lose nor duplicate bytes', async () => {
  // 200 numbered lines, read by 8 concurrent small reads at a time.
  await client.createContainer(
    containerRequest('c-many', ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done']),
  );
  await client.startContainer({ containerId: 'c-many' });
  const pieces: string[] = [];
  let done = false;
  const reader = async () => {
    while (!done) {
      try {
        const response = await client.readStdout(
          agent.ReadStreamRequest.fromPartial({ containerId: 'c-many', len: 7 }),
        );
        pieces.push(Buffer.from(response.data).toString('latin1'));
      } catch (error) {
        assertEof(error);
        done = true;
      }
    }
  };
  // Order across concurrent responses is not guaranteed, so compare sorted characters and total length.
  await Promise.all(Array.from({ length: 8 }, reader));
  const expected = Array.from({ length: 200 }, (_, i) => `line-${i}\n`).join('');
  assert.equal(pieces.join('').length, expected.length);
  assert.equal([...pieces.join('')].sort().join(''), [...expected].sort().join(''));
  await client.removeContainer({ containerId: 'c-many', timeout: 0 });
});

test('DestroySandbox kills every process and forgets every container', async () => {
  await client.createContainer(containerRequest('c-d1', ['sleep', '100']));
  await client.startContainer({ containerId: 'c-d1' });
  const pid = t.agent.table.get('c-d1').init.pid!;
  await client.destroySandbox({});
  assert.equal(alive(pid), false);
  await assert.rejects(client.startContainer({ containerId: 'c-d1' }), (error) => assertCode(error, 5));
});

test('removing a container that never started ends its pending WaitProcess and reads', async () => {
  await client.createContainer(containerRequest('c-never', ['true']));
  const waiting = client.waitProcess({ containerId: 'c-never', execId: '' });
  const reading = client.readStdout(agent.ReadStreamRequest.fromPartial({ containerId: 'c-never', len: 8 }));
  await client.removeContainer({ containerId: 'c-never', timeout: 0 });
  await assert.rejects(waiting, (error) => assertCode(error, 5, /removed before it started/));
  await assert.rejects(reading, (error) => {
    assertEof(error);
    return true;
  });
});
