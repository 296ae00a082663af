import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '@peerpods/log';
import { HealthService, health } from '@peerpods/protocols';
import { tempDir } from '@peerpods/test-support';
import { createServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { startDevAgent } from '../src/dev-agent';
import { DEFAULT_SOCKET, resolveSocketPath } from '../src/socket-address';

test('--socket wins; else KATA_AGENT_SERVER_ADDR unix://; else the default', () => {
  assert.equal(resolveSocketPath('/x/a.sock', { KATA_AGENT_SERVER_ADDR: 'unix:///y/b.sock' }), '/x/a.sock');
  assert.equal(resolveSocketPath(undefined, { KATA_AGENT_SERVER_ADDR: 'unix:///y/b.sock' }), '/y/b.sock');
  assert.equal(resolveSocketPath(undefined, {}), DEFAULT_SOCKET);
  assert.equal(DEFAULT_SOCKET, '/run/kata-containers/agent.sock');
});

test('other schemes and empty paths are errors naming the value', () => {
  for (const value of ['vsock://-1:1024', 'tcp://127.0.0.1:1', 'unix://', '/plain/path']) {
    assert.throws(
      () => resolveSocketPath(undefined, { KATA_AGENT_SERVER_ADDR: value }),
      new RegExp(`KATA_AGENT_SERVER_ADDR=${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not supported`),
    );
  }
});

test('the socket directory is created, a stale socket file replaced, and the socket removed on stop', async () => {
  const dir = tempDir('dev-agent-socket-');
  const socket = join(dir, 'run', 'kata-containers', 'agent.sock');
  mkdirSync(dirname(socket), { recursive: true });
  writeFileSync(socket, 'stale');
  const running = await startDevAgent({ socket, log: silentLogger, agentVersion: 'x' });
  const client = await TtrpcClient.connect({ path: socket });
  const check = await createServiceClient(HealthService, client).check(health.CheckRequest.fromPartial({}));
  assert.equal(check.status, health.HealthCheckResponse_ServingStatus.SERVING);
  client.close();
  await running.stop();
  assert.equal(existsSync(socket), false);
  // A parent that cannot be a directory: the start fails instead of serving somewhere else.
  const blocker = join(dir, 'file');
  writeFileSync(blocker, '');
  await assert.rejects(
    startDevAgent({ socket: join(blocker, 'agent.sock'), log: silentLogger, agentVersion: 'x' }),
    /ENOTDIR|EEXIST/,
  );
});
