// Starts racing starts and removals, and signals after the exit: no process may run untracked, and a
// group id is never signalled once its leader is gone (the pid may have been reused).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { waitFor } from '@peerpods/test-support';
import { TtrpcError } from '@peerpods/ttrpc';
import { ManagedProcess } from '../src/managed-process';
import { alive, containerRequest, PATH_ENV, startTestAgent } from './harness';

const t = await startTestAgent();
const { client } = t;
let counter = 0;

/**
 * A `sleep` whose argument no other process has (GNU sleep takes fractions), so the processes running
 * it can be counted in /proc. The spawn event comes after execve, so a started one is already visible.
 */
function uniqueSleep(): string {
  counter++;
  return `1000.${process.pid}${String(counter).padStart(3, '0')}`;
}

/** Pids of live (not zombie) processes whose command line is exactly `args`. */
function processesRunning(args: string[]): number[] {
  const wanted = `${args.join('\0')}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline === wanted && alive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

function codeOf(result: PromiseSettledResult<unknown>): number | 'ok' {
  if (result.status === 'fulfilled') return 'ok';
  assert.ok(result.reason instanceof TtrpcError, `expected a TtrpcError, got ${String(result.reason)}`);
  return result.reason.code;
}

test('two concurrent StartContainer calls: exactly one process runs, the other call is FAILED_PRECONDITION', async () => {
  const args = ['sleep', uniqueSleep()];
  await client.createContainer(containerRequest('c-twice', args));
  const results = await Promise.allSettled([
    client.startContainer({ containerId: 'c-twice' }),
    client.startContainer({ containerId: 'c-twice' }),
  ]);
  assert.deepEqual(results.map(codeOf).sort(), [9, 'ok'].sort());
  const running = processesRunning(args);
  assert.deepEqual(running, [t.agent.table.get('c-twice').init.pid]);
  await client.removeContainer({ containerId: 'c-twice', timeout: 0 });
  assert.deepEqual(processesRunning(args), []);
});

test('RemoveContainer racing StartContainer leaves no process behind', async () => {
  for (let round = 0; round < 5; round++) {
    const args = ['sleep', uniqueSleep()];
    const id = `c-race-${round}`;
    await client.createContainer(containerRequest(id, args));
    const [started, removed] = await Promise.allSettled([
      client.startContainer({ containerId: id }),
      client.removeContainer({ containerId: id, timeout: 0 }),
    ]);
    assert.equal(codeOf(removed), 'ok');
    // The start either won (and the removal killed it) or was stopped: NotFound.
    assert.ok(['ok', 5].includes(codeOf(started)), `start: ${String(codeOf(started))}`);
    assert.deepEqual(processesRunning(args), [], `round ${round}: no sleep left`);
    assert.equal(t.agent.table.size, 0);
  }
});

test('DestroySandbox racing StartContainer leaves no process behind', async () => {
  const args = ['sleep', uniqueSleep()];
  await client.createContainer(containerRequest('c-destroy', args));
  const [started] = await Promise.allSettled([
    client.startContainer({ containerId: 'c-destroy' }),
    client.destroySandbox({}),
  ]);
  assert.ok(['ok', 5].includes(codeOf(started)));
  assert.deepEqual(processesRunning(args), []);
});

test('ManagedProcess: a second start while the first is still preparing fails with FAILED_PRECONDITION', async () => {
  const args = ['sleep', uniqueSleep()];
  const process = new ManagedProcess('p', { args, env: [PATH_ENV], cwd: '/' }, undefined);
  let release!: () => void;
  const first = process.start(() => new Promise<void>((resolve) => (release = resolve)));
  assert.equal(process.state, 'starting');
  await assert.rejects(process.start(), (error) => error instanceof TtrpcError && error.code === 9);
  release();
  await first;
  assert.deepEqual(processesRunning(args), [process.pid]);
  await process.kill();
  process.release();
  assert.deepEqual(processesRunning(args), []);
});

test('ManagedProcess: killed while preparing to start, it never spawns', async () => {
  const args = ['sleep', uniqueSleep()];
  const process = new ManagedProcess('p', { args, env: [PATH_ENV], cwd: '/' }, undefined);
  let release!: () => void;
  const started = process.start(() => new Promise<void>((resolve) => (release = resolve)));
  const killed = process.kill();
  release();
  await assert.rejects(started, (error) => error instanceof TtrpcError && error.code === 5);
  await killed;
  process.release();
  assert.equal(process.pid, undefined);
  assert.deepEqual(processesRunning(args), []);
  // Removed: it cannot be started again either.
  await assert.rejects(process.start(), (error) => error instanceof TtrpcError && error.code === 5);
});

test('ManagedProcess: killed after the spawn but before it reported running, the child is killed', async () => {
  const args = ['sleep', uniqueSleep()];
  const process = new ManagedProcess('p', { args, env: [PATH_ENV], cwd: '/' }, undefined);
  let killed: Promise<void> | undefined;
  const started = process.start(() => {
    const prepared = Promise.resolve();
    // Runs after start() went on past `await prepare()` and called spawn(), before the spawn event.
    void prepared.then(() => queueMicrotask(() => (killed = process.kill())));
    return prepared;
  });
  await assert.rejects(started, (error) => error instanceof TtrpcError && error.code === 5);
  await killed;
  process.release();
  assert.notEqual(process.pid, undefined, 'the child was spawned (the path under test)');
  assert.equal(await process.wait(), 137);
  assert.deepEqual(processesRunning(args), []);
});

test('a signal after the process exited is a no-op: no error, its former group is not signalled', async () => {
  // The shell exits at once, leaving a background sleep in its process group.
  const args = ['sleep', uniqueSleep()];
  await client.createContainer(
    containerRequest('c-exited', ['sh', '-c', `${args.join(' ')} >/dev/null 2>&1 </dev/null & echo $!`]),
  );
  await client.startContainer({ containerId: 'c-exited' });
  assert.equal((await client.waitProcess({ containerId: 'c-exited', execId: '' })).status, 0);
  // The shell may exit while its background child is still between fork and exec.
  await waitFor(() => processesRunning(args).length > 0, 'the background sleep to run');
  const [sleepPid] = processesRunning(args);
  assert.ok(sleepPid !== undefined, 'the background sleep runs');
  await client.signalProcess({ containerId: 'c-exited', execId: '', signal: 9 });
  await client.signalProcess({ containerId: 'c-exited', execId: 'c-exited', signal: 15 });
  await client.removeContainer({ containerId: 'c-exited', timeout: 0 });
  assert.ok(alive(sleepPid), 'nothing was sent to the group of the exited leader');
  process.kill(sleepPid, 'SIGKILL');
  await waitFor(() => processesRunning(args).length === 0, `sleep ${sleepPid} to be gone`);
});
