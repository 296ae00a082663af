// The vsphere provider through the daemon against govmomi's vcsim (a simulator, not vSphere): the
// clone carries the user-data, a pod VM boots behind it with that user-data (vcsim-guests), the
// daemon reaches its forwarder over mutual TLS, an exec and a page cross the tunnel, and StopVM
// destroys the clone: vcsim's inventory has none left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VsphereCloud } from '../src/vsphere-cloud';
import { VCSIM_PASSWORD } from '../src/vsphere-cloud';
import { fetchCommand, WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

test('vsphere against vcsim: clone → pod VM → exec and page through the tunnel → StopVM destroys the clone; no log shows the password', {
  timeout: 180_000,
}, async () => {
  const node = await startNode({ provider: 'vsphere' });
  const cloud = node.cloud as VsphereCloud;
  try {
    const pod = await node.launchPod();
    const network = pod.state.podNetwork;
    const result = await node.exec(pod, {
      args: [
        'sh',
        '-c',
        `ip -br -4 addr show eth0; ${fetchCommand('local', `http://${network.gateway}:${WEB_PORT}/`)}`,
      ],
    });
    const output = result.stdout.toString();
    assert.equal(result.exitCode, 0, result.stderr.toString());
    assert.match(
      output,
      new RegExp(`${network.ip.replaceAll('.', '\\.')}/${network.prefixLength}`),
      'the pod IP',
    );
    assert.ok(output.includes(WEB_PAGE), `the page through the tunnel:\n${output}`);
    const live = await cloud.settledInstances();
    assert.equal(live.length, 1, live.join('; '));
    assert.match(live[0]!, /^VM podvm-\S+ poweredOn$/);
    assert.match(node.adaptor.output, /CreateInstance VM name podvm-\S+ UUID [0-9a-f-]{36} done/);
    assert.match(cloud.output, /clone podvm-\S+ powered on: pod VM at 10\.199\.0\.\d+/);

    const stopped = await node.stopPod(pod);
    assert.deepEqual(stopped.errors, []);
    assert.deepEqual(await cloud.settledInstances(), [], "vcsim's inventory has no clone left");
    const logs = `${node.adaptor.output}\n${cloud.output}`;
    assert.deepEqual(await node.stop(), [], 'nothing left: no clone, namespace, process, link or file');
    assert.ok(!logs.includes(VCSIM_PASSWORD), 'the password never reaches a log');
    assert.match(logs, /DeleteInstance VM UUID \S+ done/);
  } catch (error) {
    await node.stop().catch(() => {});
    throw new Error(
      `${(error as Error).message}\n--- daemon:\n${node.adaptor.output.slice(-5000)}\n--- vcsim:\n${cloud.output.slice(-3000)}`,
      { cause: error },
    );
  }
});
