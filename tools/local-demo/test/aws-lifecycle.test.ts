// The whole peer-pod path with the aws provider: daemon → @aws-sdk/client-ec2 → tools/fake-ec2 →
// an instance that boots as a pod VM → IMDSv2 user-data → forwarder → mutual TLS → VXLAN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAKE_AWS_SECRET } from '../src/fake-cloud';
import { WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

test('aws against the EC2 fake: create → exec → page through the tunnel → stop; the fake has nothing left and no log shows the secret key', {
  timeout: 180_000,
}, async () => {
  const node = await startNode({ provider: 'aws' });
  const pod = await node.launchPod();
  const network = pod.state.podNetwork;
  const result = await node.exec(pod, {
    args: [
      'sh',
      '-c',
      `ip -br -4 addr show eth0; curl -sS --max-time 10 http://${network.gateway}:${WEB_PORT}/`,
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
  const live = await node.cloud!.liveInstances();
  assert.equal(live.length, 1, `one EC2 instance while the pod runs: ${live.join('; ')}`);
  assert.match(node.adaptor.output, /created instance i-0[0-9a-f]{16} \(podvm-/);

  const stopped = await node.stopPod(pod);
  assert.deepEqual(stopped.errors, []);
  const logs = `${node.adaptor.output}\n${node.cloud!.output}`;
  assert.deepEqual(await node.stop(), [], 'no instance, namespace, process, link or file left');
  assert.ok(!logs.includes(FAKE_AWS_SECRET), 'the secret key never reaches a log');
  assert.match(logs, /deleted instance i-0/);
});
