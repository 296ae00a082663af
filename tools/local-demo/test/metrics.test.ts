// -metrics-addr on the built daemon: /metrics scraped from inside the worker during a pod's life.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromText, promValue } from '@peerpods/test-support';
import { startNode } from './support';

const METRICS_PORT = 9464;

test('the daemon counts a local-provider pod from CreateVM to StopVM: calls, StartVM steps, sandboxes, tunnels and agent calls', {
  timeout: 120_000,
}, async () => {
  const node = await startNode({ adaptorArgs: ['-metrics-addr', `127.0.0.1:${METRICS_PORT}`] });
  const scrape = async () => parsePromText(await node.fetchInWorker(METRICS_PORT));

  const before = await scrape();
  assert.equal(promValue(before, 'peerpods_sandboxes', { state: 'running' }), 0);
  assert.ok(promValue(before, 'process_resident_memory_bytes') > 0, "Node's process metrics are there too");

  const pod = await node.launchPod();
  const result = await node.exec(pod, { args: ['sh', '-c', 'echo hello'] });
  assert.equal(result.stdout.toString(), 'hello\n');
  // A StartVM the daemon refuses: counted as an error.
  await assert.rejects(pod.hypervisor.startVM('f'.repeat(64)));

  const running = await scrape();
  const calls = (method: string, outcome: string, samples = running) =>
    promValue(samples, 'peerpods_hypervisor_request_duration_seconds_count', { method, outcome });
  assert.equal(calls('CreateVM', 'success'), 1);
  assert.equal(calls('StartVM', 'success'), 1);
  assert.equal(calls('StartVM', 'error'), 1);
  for (const phase of ['instance', 'tunnel', 'proxy'])
    assert.equal(
      promValue(running, 'peerpods_startvm_phase_duration_seconds_count', { phase }),
      1,
      `one StartVM ${phase} step`,
    );
  assert.ok(promValue(running, 'peerpods_startvm_phase_duration_seconds_sum', { phase: 'instance' }) > 0);
  assert.equal(promValue(running, 'peerpods_sandboxes', { state: 'running' }), 1);
  assert.equal(promValue(running, 'peerpods_tunnels'), 1);
  const agent = (method: string, samples = running) =>
    promValue(samples, 'peerpods_agent_proxy_calls_total', { method, code: 'OK' });
  assert.equal(agent('CreateSandbox'), 1);
  assert.equal(agent('CreateContainer'), 1);
  assert.equal(agent('StartContainer'), 1);
  assert.ok(agent('Check') >= 1, 'the health check the launch makes');
  // The local provider lists its pod VMs: the sweep at start found nothing to delete.
  assert.equal(promValue(running, 'peerpods_orphan_sweeps_total', { outcome: 'success' }), 1);
  assert.equal(promValue(running, 'peerpods_orphan_sweep_deletions_total', { outcome: 'deleted' }), 0);

  const stopped = await node.stopPod(pod);
  assert.deepEqual(stopped.errors, []);
  const after = await scrape();
  assert.equal(calls('StopVM', 'success', after), 1);
  assert.equal(agent('DestroySandbox', after), 1);
  for (const state of ['creating', 'created', 'starting', 'running', 'stopping'])
    assert.equal(promValue(after, 'peerpods_sandboxes', { state }), 0, state);
  assert.equal(promValue(after, 'peerpods_tunnels'), 0);

  assert.match(await node.fetchInWorker(METRICS_PORT, '/').catch((error: Error) => error.message), /404/);
  assert.deepEqual(await node.stop(), [], 'nothing left behind');
});
