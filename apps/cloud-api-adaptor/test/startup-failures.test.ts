// A start that fails after the provider exists must tear the provider down (a cloud client, or the
// local provider's bridge and state-directory claim), whatever step failed.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { TextLogger } from '@peerpods/log';
import { StubWorkerNetwork } from '@peerpods/podnetwork';
import { freePort, tempDir } from '@peerpods/test-support';
import { COMMON_OPTIONS } from '../src/common-options';
import { startDaemon } from '../src/daemon';
import { daemonConfig } from '../src/daemon-config';
import { scriptedProvider } from './fixtures/scripted-provider';

async function failedStart(flags: Record<string, string | boolean>, verifyError?: string) {
  const { factory, state } = scriptedProvider({ verifyError });
  const { values } = resolveOptions(COMMON_OPTIONS, flags, {});
  const config = daemonConfig(values);
  const log = new TextLogger('adaptor', { write: () => {} });
  const network = new StubWorkerNetwork({ vxlanPort: config.vxlanPort, vxlanMinId: config.vxlanMinId });
  const error = await startDaemon({ config, factory, values, log, network }).then(
    () => assert.fail('the start should have failed'),
    (failure: unknown) => failure as Error,
  );
  return { error, state };
}

test('-cloud-config-verify failing: the start fails with its message and the provider is torn down', async () => {
  const dir = tempDir();
  const { error, state } = await failedStart(
    { socket: join(dir, 's'), 'pods-dir': join(dir, 'p'), 'cloud-config-verify': true },
    'scripted: credentials rejected',
  );
  assert.match(error.message, /scripted: credentials rejected/);
  assert.equal(state.teardowns, 1);
});

test('a pods dir that cannot be made: the start fails naming it, before the provider starts (the CA is saved there first)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), '');
  const { error, state } = await failedStart({
    socket: join(dir, 's'),
    'pods-dir': join(dir, 'file', 'pods'),
  });
  assert.match(error.message, /creating the pods directory .*file\/pods: ENOTDIR/);
  assert.equal(state.teardowns, 0, 'no provider was made, so none is torn down');
});

test('a socket that cannot be listened on: the start fails naming it and the provider is torn down', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), '');
  const { error, state } = await failedStart({ socket: join(dir, 'file', 's'), 'pods-dir': join(dir, 'p') });
  assert.match(error.message, /listening on .*file\/s/);
  assert.equal(state.teardowns, 1);
});

test('-metrics-addr that is not host:port: a configuration error naming the flag', () => {
  const { values } = resolveOptions(COMMON_OPTIONS, { 'metrics-addr': 'localhost' }, {});
  assert.throws(
    () => daemonConfig(values),
    /invalid value "localhost" for -metrics-addr: expected host:port/,
  );
});

test('-metrics-addr on a port already taken: the start fails naming it, before any provider exists', async () => {
  const dir = tempDir();
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const { error, state } = await failedStart({
      socket: join(dir, 's'),
      'pods-dir': join(dir, 'p'),
      'metrics-addr': `127.0.0.1:${port}`,
    });
    assert.match(
      error.message,
      new RegExp(`-metrics-addr: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`),
    );
    assert.equal(state.teardowns, 0);
  } finally {
    taken.close();
  }
});

test('a start that fails after the metrics endpoint is up closes it again', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), '');
  const port = await freePort();
  const { error } = await failedStart({
    socket: join(dir, 'file', 's'),
    'pods-dir': join(dir, 'p'),
    'metrics-addr': `127.0.0.1:${port}`,
  });
  assert.match(error.message, /listening on .*file\/s/);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'nothing listens on the metrics port');
});
