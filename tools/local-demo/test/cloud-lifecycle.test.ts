// The whole peer-pod path with each cloud provider against its fake: daemon → the official SDK →
// fake cloud → an instance that boots as a pod VM → that cloud's metadata service → user-data →
// forwarder → mutual TLS → VXLAN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePromText, promValue } from '@peerpods/test-support';
import { FAKE_AWS_SECRET, FAKE_AZURE_SECRET, FAKE_IBM_API_KEY } from '../src/fake-cloud';
import type { CloudProvider } from '../src/provider-launch';
import { WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

const METRICS_PORT = 9464;

interface CloudExpectations {
  secret: string;
  created: RegExp;
  deleted: RegExp;
  live: number;
  /** The API operations that create and delete the instance, as the metrics name them. */
  createCall: string;
  deleteCall: string;
}

const CLOUDS: Record<CloudProvider, CloudExpectations> = {
  aws: {
    createCall: 'RunInstances',
    deleteCall: 'TerminateInstances',
    secret: FAKE_AWS_SECRET,
    created: /created instance i-0[0-9a-f]{16} \(podvm-/,
    deleted: /deleted instance i-0/,
    live: 1,
  },
  // The VM, its NIC and its OS disk.
  azure: {
    createCall: 'PUT Microsoft.Compute/virtualMachines',
    deleteCall: 'DELETE Microsoft.Compute/virtualMachines',
    secret: FAKE_AZURE_SECRET,
    created: /created VM podvm-\S+ \(Standard_DC2as_v5\) at /,
    deleted: /deleted VM podvm-/,
    live: 3,
  },
  // Its pod VM read the user-data from IBM Cloud VPC's instance metadata service.
  ibmcloud: {
    createCall: 'POST /instances',
    deleteCall: 'DELETE /instances/{id}',
    secret: FAKE_IBM_API_KEY,
    created: /created instance podvm-\S+ \(0717_[0-9a-f-]{36}, bx2-2x8\) at /,
    deleted: /deleted an instance 0717_/,
    live: 1,
  },
};

for (const [provider, expect] of Object.entries(CLOUDS) as [
  CloudProvider,
  (typeof CLOUDS)[CloudProvider],
][]) {
  test(`${provider} against its fake: create → exec → page through the tunnel → stop; the fake has nothing left and no log shows the secret`, {
    timeout: 180_000,
  }, async () => {
    const node = await startNode({ provider, adaptorArgs: ['-metrics-addr', `127.0.0.1:${METRICS_PORT}`] });
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
    const live = await node.fakeCloud.liveInstances();
    assert.equal(live.length, expect.live, `while the pod runs: ${live.join('; ')}`);
    assert.match(node.adaptor.output, expect.created);

    const stopped = await node.stopPod(pod);
    assert.deepEqual(stopped.errors, []);
    // The metrics count the SDK's calls to the fake cloud by operation.
    const scraped = parsePromText(await node.fetchInWorker(METRICS_PORT));
    const succeeded = (operation: string) =>
      promValue(scraped, 'peerpods_cloud_api_requests_total', { provider, operation, outcome: 'success' });
    assert.equal(succeeded(expect.createCall), 1, expect.createCall);
    assert.equal(succeeded(expect.deleteCall), 1, expect.deleteCall);
    const logs = `${node.adaptor.output}\n${node.fakeCloud.output}`;
    assert.deepEqual(await node.stop(), [], 'nothing left in the cloud, no namespace, process, link or file');
    assert.ok(!logs.includes(expect.secret), 'the secret never reaches a log');
    assert.match(logs, expect.deleted);
  });
}
