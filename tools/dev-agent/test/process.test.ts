// The dev-agent as a real process: start-up lines, KATA_AGENT_SERVER_ADDR, --help, SIGTERM clean-up.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { AgentService, agent, HealthService, health } from '@peerpods/protocols';
import { spawnTs, tempDir, waitFor } from '@peerpods/test-support';
import { createServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { alive, containerRequest } from './harness';

const main = resolve(import.meta.dirname, '../src/main.ts');

test('serves on KATA_AGENT_SERVER_ADDR; SIGTERM kills its processes, removes the socket, exits 0', {
  timeout: 60_000,
}, async () => {
  const socket = join(tempDir('dev-agent-proc-'), 'run', 'agent.sock');
  const run = spawnTs(main, [], { KATA_AGENT_SERVER_ADDR: `unix://${socket}` });
  const exited = once(run.child, 'exit');
  let client: TtrpcClient | undefined;
  try {
    await waitFor(
      () =>
        run.output().includes(`serving grpc.AgentService and grpc.Health on ${socket}`) ||
        run.child.exitCode !== null,
      'the serving line',
    );
    assert.equal(run.child.exitCode, null, run.output());
    assert.match(run.output(), /\[dev-agent\] WARNING: .*demos and tests only.*NO isolation/);
    client = await TtrpcClient.connect({ path: socket });
    const check = await createServiceClient(HealthService, client).check(health.CheckRequest.fromPartial({}));
    assert.equal(check.status, health.HealthCheckResponse_ServingStatus.SERVING);

    const agentClient = createServiceClient(AgentService, client);
    await agentClient.createContainer(containerRequest('c1', ['sh', '-c', 'echo $$; exec sleep 100']));
    await agentClient.startContainer({ containerId: 'c1' });
    const first = await agentClient.readStdout(
      agent.ReadStreamRequest.fromPartial({ containerId: 'c1', len: 64 }),
    );
    const sleepPid = Number(Buffer.from(first.data).toString().trim());
    assert.ok(alive(sleepPid), `sleep ${sleepPid} runs`);

    run.child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(code, 0, `${signal ?? ''} ${run.output()}`);
    assert.equal(existsSync(socket), false, 'socket removed');
    assert.equal(alive(sleepPid), false, `sleep ${sleepPid} is gone`);
  } finally {
    client?.close();
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await exited;
    }
  }
});

test('--help says it is for demos and tests only, with no isolation; --version names it', async () => {
  const help = spawnTs(main, ['--help']);
  assert.equal((await once(help.child, 'exit'))[0], 0);
  assert.match(help.output(), /FOR DEMOS AND TESTS ONLY/);
  assert.match(help.output(), /NO isolation/);
  assert.match(help.output(), /--socket <path>/);
  assert.match(help.output(), /--netns <path>/);
  const version = spawnTs(main, ['--version']);
  assert.equal((await once(version.child, 'exit'))[0], 0);
  assert.match(version.output(), /^dev-agent version \d+\.\d+\.\d+/);
});

test('a KATA_AGENT_SERVER_ADDR that is not unix:// is refused, naming the value', async () => {
  const run = spawnTs(main, [], { KATA_AGENT_SERVER_ADDR: 'vsock://-1:1024' });
  assert.notEqual((await once(run.child, 'exit'))[0], 0);
  assert.match(run.output(), /KATA_AGENT_SERVER_ADDR=vsock:\/\/-1:1024 is not supported/);
});
