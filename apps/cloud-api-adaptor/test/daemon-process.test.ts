// The daemon as a real process: the CLI, start-up output, and SIGTERM with pods running.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { HypervisorService, hypervisor } from '@peerpods/protocols';
import { spawnTs, startNotifyListener, waitFor } from '@peerpods/test-support';
import { createServiceClient, TtrpcClient } from '@peerpods/ttrpc';
import { SIGNAL_ECHO_MS } from '../src/signal-gate';
import { TLS_STATE_FILE } from '../src/tls-state';
import { freePort, POD_ANNOTATIONS, sandboxId, tempDir } from './harness';

const main = resolve(import.meta.dirname, 'fixtures/daemon-main.ts');

function startProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnTs(main, args, env);
}

async function hypervisorCall<T>(
  socket: string,
  work: (c: ReturnType<typeof createServiceClient<typeof HypervisorService>>) => Promise<T>,
): Promise<T> {
  const client = await TtrpcClient.connect({ path: socket });
  try {
    return await work(createServiceClient(HypervisorService, client));
  } finally {
    client.close();
  }
}

test('SIGTERM with 5 pods running: every instance deleted, sockets and directories gone, exit 0', {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  const socket = join(dir, 'hypervisor.sock');
  const podsDir = join(dir, 'pods');
  const port = await freePort();
  const { child, output } = startProcess(
    ['scripted', '-socket', socket, '-pods-dir', podsDir, '-forwarder-port', String(port)],
    { AWS_SECRET_ACCESS_KEY: 'must-not-leak' },
  );
  await waitFor(() => output().includes('server started'), 'the daemon to start');
  const ids = [1, 2, 3, 4, 5].map(sandboxId);
  for (const [i, id] of ids.entries()) {
    await hypervisorCall(socket, (c) =>
      c.createVM(
        hypervisor.CreateVMRequest.fromPartial({
          id,
          annotations: POD_ANNOTATIONS(`pod-${i}`),
          networkNamespacePath: '/n',
        }),
      ),
    );
    await hypervisorCall(socket, (c) => c.startVM({ id }, { timeoutMs: 30_000 }));
  }
  assert.deepEqual(readdirSync(podsDir).filter((e) => e !== TLS_STATE_FILE).length, 5);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number];
  assert.equal(code, 0, output());
  assert.equal((output().match(/deleted an instance i-\d+ for sandbox/g) ?? []).length, 5, output());
  assert.ok(!existsSync(socket), 'hypervisor socket removed');
  assert.deepEqual(readdirSync(podsDir), []);
  // The pod VMs' forwarder stand-ins are gone: nothing listens on their addresses any more.
  for (let host = 2; host <= 6; host++) {
    const refused = await new Promise<boolean>((done) => {
      const s = net.connect({ host: `127.0.0.${host}`, port }, () => {
        s.destroy();
        done(false);
      });
      s.on('error', () => done(true));
    });
    assert.ok(refused, `127.0.0.${host}:${port} still listening`);
  }
});

test('start-up: version first, the configuration dump, secrets never printed', {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const socket = join(dir, 'h.sock');
  const { child, output } = startProcess(['scripted', '--socket', socket, '-pods-dir', join(dir, 'pods')], {
    PROXY_TIMEOUT: '90s',
    SCRIPTED_TOKEN: 'hunter2-secret',
  });
  await waitFor(() => output().includes('server started'), 'the daemon to start');
  const lines = output().split('\n');
  assert.match(lines[0]!, /^cloud-api-adaptor version \d+\.\d+\.\d+$/);
  assert.match(lines[1]!, /^ {2}commit: /);
  assert.ok(lines.includes('cloud-api-adaptor: starting Cloud API Adaptor daemon for "scripted"'));
  assert.ok(
    lines.some((line) => /\[adaptor\] {3}proxy-timeout: 1m30s$/.test(line)),
    'env var applied and printed as Go would',
  );
  assert.ok(
    lines.some((line) => line.endsWith(`[adaptor]   socket: ${socket}`)),
    'flag applied',
  );
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  assert.equal((await exited)[0], 0);
});

test('start-up: one warning for each flag that is accepted but has no effect yet, naming it', {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const { child, output } = startProcess(
    ['scripted', '-socket', join(dir, 'h.sock'), '-pods-dir', join(dir, 'pods'), '-ext-network-via-podvm'],
    { POD_SUBNET_CIDRS: '10.244.0.0/16' },
  );
  try {
    await waitFor(() => output().includes('server started'), 'the daemon to start');
    const warnings = output()
      .split('\n')
      .filter((line) => line.includes('has no effect in this version'));
    assert.equal(warnings.length, 2, output());
    assert.ok(warnings.some((w) => w.includes('-ext-network-via-podvm (set) has no effect')));
    assert.ok(warnings.some((w) => w.includes('-pod-subnet-cidrs (set by its env var) has no effect')));
    // Enforced now (Kubernetes mode's extended resource): no longer warned about.
    assert.ok(!output().includes('-peerpods-limit-per-node ('));
    assert.ok(!output().includes('-enable-scratch-space ('), 'not set, not promised: no warning');
  } finally {
    child.kill('SIGKILL');
  }
});

test('-log-format json: every line is JSON; the banner and the configuration are one record each; -log-level filters', {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const { child, output } = startProcess(
    ['scripted', '-socket', join(dir, 'h.sock'), '-pods-dir', join(dir, 'pods'), '-log-format', 'json'],
    { SCRIPTED_TOKEN: 'hunter2-secret', LOG_LEVEL: 'info', POD_SUBNET_CIDRS: '10.244.0.0/16' },
  );
  try {
    await waitFor(() => output().includes('server started'), 'the daemon to start');
    const records = output()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      { ...records[0], time: undefined },
      {
        level: 'info',
        time: undefined,
        component: 'adaptor',
        msg: 'starting Cloud API Adaptor daemon',
        version: records[0]!.version,
        commit: records[0]!.commit,
        node: process.version,
        provider: 'scripted',
      },
    );
    const config = records.find((r) => r.msg === 'server config')?.config as Record<string, string>;
    assert.equal(config['log-format'], 'json');
    assert.equal(config['proxy-timeout'], '5m0s');
    assert.doesNotMatch(output(), /hunter2-secret/);
    assert.ok(records.some((r) => r.level === 'warn' && /pod-subnet-cidrs/.test(String(r.msg))));
  } finally {
    child.kill('SIGKILL');
  }
  const quiet = startProcess(['scripted', '-socket', join(dir, 'q.sock'), '-pods-dir', join(dir, 'pods2')], {
    LOG_LEVEL: 'warn',
    POD_SUBNET_CIDRS: '10.244.0.0/16',
  });
  try {
    await waitFor(() => quiet.output().includes('has no effect'), 'the warning');
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(quiet.output(), /server started|server config/, 'info lines dropped at warn');
    assert.match(quiet.output(), /\[adaptor\] WARNING: -pod-subnet-cidrs/);
  } finally {
    quiet.child.kill('SIGKILL');
  }
});

test("start-up removes a crashed run's sandbox directories (their TLS keys too) and nothing else; a second daemon on the socket is refused", {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const podsDir = join(dir, 'pods');
  const stale = sandboxId(9);
  mkdirSync(join(podsDir, stale), { recursive: true });
  writeFileSync(join(podsDir, stale, 'apf.json'), '{"tls-server-key": "-----BEGIN PRIVATE KEY-----"}');
  writeFileSync(join(podsDir, 'notes.txt'), 'not a sandbox');
  mkdirSync(join(podsDir, 'not a sandbox id'));
  // Id-shaped, but holding something a sandbox never has, or a symlink: not ours to remove.
  const mixed = sandboxId(10);
  mkdirSync(join(podsDir, mixed));
  writeFileSync(join(podsDir, mixed, 'apf.json'), '{}');
  writeFileSync(join(podsDir, mixed, 'photo.jpg'), 'keep');
  const linked = sandboxId(11);
  mkdirSync(join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'elsewhere', 'apf.json'), '{}');
  symlinkSync(join(dir, 'elsewhere'), join(podsDir, linked));
  const socket = join(dir, 's');
  const { child, output } = startProcess(['scripted', '-socket', socket, '-pods-dir', podsDir]);
  await waitFor(() => output().includes('server started'), 'the daemon to start');
  assert.match(
    output(),
    new RegExp(`\\[adaptor\\] removed the directory of sandbox ${stale}, left by an earlier run`),
  );
  assert.deepEqual(
    readdirSync(podsDir).sort(),
    [linked, mixed, 'not a sandbox id', 'notes.txt', TLS_STATE_FILE].sort(),
  );
  assert.ok(existsSync(join(dir, 'elsewhere', 'apf.json')));

  // A second daemon on the same socket is refused, and the first keeps serving.
  const second = startProcess(['scripted', '-socket', socket, '-pods-dir', podsDir]);
  const [secondCode] = (await once(second.child, 'exit')) as [number];
  assert.notEqual(secondCode, 0);
  assert.match(
    second.output(),
    /another process is serving .*\/s \(a cloud-api-adaptor already running\?\); stop it, or use another -socket/,
  );
  assert.equal(
    await hypervisorCall(socket, async (c) => (await c.version({ version: '' })).version),
    '0.0.0',
  );
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.equal((await exited)[0], 0);
});

test('a signal while the provider is still starting: the start finishes, then the daemon stops in order; a later second signal exits at once', {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  const socket = join(dir, 's');
  const slow = startProcess([
    'scripted',
    '-socket',
    socket,
    '-pods-dir',
    join(dir, 'p'),
    '-scripted-start-delay',
    '1500',
  ]);
  await waitFor(() => slow.output().includes('server config:'), 'the start to begin');
  const exited = once(slow.child, 'exit');
  slow.child.kill('SIGTERM');
  assert.equal((await exited)[0], 0, slow.output());
  assert.match(slow.output(), /received SIGTERM[\s\S]*server started[\s\S]*\[adaptor\] stopped/);
  assert.ok(!existsSync(socket), 'socket removed by the orderly stop');

  const stuck = startProcess([
    'scripted',
    '-socket',
    socket,
    '-pods-dir',
    join(dir, 'p'),
    '-scripted-start-delay',
    '600000',
  ]);
  await waitFor(() => stuck.output().includes('server config:'), 'the start to begin');
  const stuckExit = once(stuck.child, 'exit');
  stuck.child.kill('SIGTERM');
  await waitFor(() => stuck.output().includes('received SIGTERM'), 'the first signal to be seen');
  // Past the echo window (signal-gate.test.ts covers the window itself).
  await new Promise((resolve) => setTimeout(resolve, SIGNAL_ECHO_MS + 100));
  stuck.child.kill('SIGTERM');
  assert.equal((await stuckExit)[0], 143, stuck.output());
  assert.match(stuck.output(), /received SIGTERM again: exiting without finishing the clean-up/);
});

test('an invalid option value exits non-zero with a message naming the option', {
  timeout: 30_000,
}, async () => {
  for (const [args, pattern] of [
    [['-forwarder-port', 'abc'], /-forwarder-port/],
    [['-proxy-timeout', '10'], /-proxy-timeout.*missing unit/],
    [['-tunnel-type', 'geneve'], /-tunnel-type/],
    [['-tls-min-version', 'VersionTLS10'], /-tls-min-version/],
    [['-disable-tls=maybe'], /-disable-tls/],
  ] as const) {
    const dir = tempDir();
    const { child, output } = startProcess([
      'scripted',
      '-socket',
      join(dir, 's'),
      '-pods-dir',
      join(dir, 'p'),
      ...args,
    ]);
    const [code] = (await once(child, 'exit')) as [number];
    assert.notEqual(code, 0, args.join(' '));
    assert.match(output(), pattern);
    assert.ok(!existsSync(join(dir, 's')), 'no socket left by a failed start');
  }
});

test('-log-format json writes structured lines', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const { child, output } = startProcess([
    'scripted',
    '-socket',
    join(dir, 's'),
    '-pods-dir',
    join(dir, 'p'),
    '-log-format',
    'json',
  ]);
  await waitFor(() => output().includes('server started'), 'the daemon to start');
  const started = output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { component: string; msg: string; level: string })
    .find((entry) => entry.msg.startsWith('server started'));
  assert.equal(started?.component, 'adaptor');
  assert.equal(started?.level, 'info');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  assert.equal((await exited)[0], 0);
});

test("sd_notify: READY=1 once the hypervisor socket serves, STOPPING=1 on SIGTERM, from the daemon's own PID", {
  timeout: 30_000,
}, async () => {
  const dir = tempDir();
  const socket = join(dir, 'hypervisor.sock');
  // An abstract socket, as systemd's own is: NotifyAccess=main accepts only the main PID's messages.
  const listener = await startNotifyListener(`@peerpods-caa-test-${process.pid}`);
  const { child, output } = startProcess(['scripted', '-socket', socket, '-pods-dir', join(dir, 'pods')], {
    NOTIFY_SOCKET: listener.address,
  });
  try {
    const ready = await listener.next((m) => m.message === 'READY=1', 'READY=1');
    assert.equal(ready.pid, child.pid);
    // Ready means serving: a shim connecting now gets an answer.
    assert.equal(
      await hypervisorCall(socket, async (c) => (await c.version({ version: '' })).version),
      '0.0.0',
    );
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.equal((await exited)[0], 0, output());
    const stopping = await listener.next((m) => m.message === 'STOPPING=1', 'STOPPING=1');
    assert.equal(stopping.pid, child.pid);
    assert.doesNotMatch(output(), /ExperimentalWarning|sd_notify/);
  } finally {
    // A failed assertion must not leave the daemon running (the test would never end).
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
