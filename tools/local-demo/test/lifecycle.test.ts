// The whole peer-pod lifecycle on the built binaries, as `npm start` runs it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

test('create → exec → stop: the pod keeps its IP and MAC in the pod VM, reaches the worker through the tunnel, and StopVM removes everything', {
  timeout: 120_000,
}, async () => {
  const node = await startNode();
  const pod = await node.launchPod();
  const network = pod.state.podNetwork;
  const url = `http://${network.gateway}:${WEB_PORT}/`;
  const result = await node.exec(pod, {
    args: [
      'sh',
      '-c',
      `ip -br link show eth0; ip -br -4 addr show eth0; curl -sS --max-time 10 ${url}; exit 7`,
    ],
  });
  const output = result.stdout.toString();
  assert.equal(result.exitCode, 7, result.stderr.toString());
  assert.match(
    output,
    new RegExp(`eth0\\S*\\s+UNKNOWN\\s+${network.mac}`),
    'the pod MAC, on the pod VM side',
  );
  assert.match(
    output,
    new RegExp(`${network.ip.replaceAll('.', '\\.')}/${network.prefixLength}`),
    'the pod IP',
  );
  assert.ok(output.includes(WEB_PAGE), `the page through the tunnel:\n${output}`);
  // The daemon reports the phases that `npm start` prints.
  const phases = node.adaptor.startPhases(pod.state.id);
  assert.ok(
    phases && phases.instanceMs > 0 && phases.tunnelMs > 0 && phases.proxyMs > 0,
    node.adaptor.output,
  );
  // While it runs: the pod VM's namespaces, its veth and the tunnel exist.
  assert.notDeepEqual(await node.leftoversWhileRunning(), []);

  const stopped = await node.stopPod(pod);
  assert.deepEqual(stopped.errors, []);
  assert.deepEqual(
    await node.leftoversWhileRunning(),
    [],
    'StopVM removed namespaces, processes, links, rules and files',
  );
  assert.deepEqual(await node.stop(), [], 'the daemon left nothing either');
});
