// Kubernetes mode's startup probe: 500 until the hypervisor socket accepts and the previous run's
// sandboxes are settled, then 200 while the socket accepts; off outside a cluster, with one line.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectCluster } from '../src/kubernetes/cluster-detection';
import { startStartupProbe } from '../src/kubernetes/startup-probe';
import { freePort, startTestDaemon, tempDir } from './harness';

async function status(port: number, path = '/startup'): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

test('the probe answers 500 while the socket is not served, 500 while sandboxes are being adopted, then 200; 500 again if the socket goes', async () => {
  const socketPath = join(tempDir(), 'hypervisor.sock');
  let settle!: () => void;
  const recovered = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const port = await freePort();
  const probe = await startStartupProbe({ port, socketPath, recovered });
  try {
    assert.equal(await status(port), 500, 'no socket yet');
    const hypervisor = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hypervisor.listen(socketPath, resolve));
    assert.equal(await status(port), 500, 'adoption still under way');
    settle();
    await recovered;
    assert.equal(await status(port), 200);
    assert.equal(await status(port, '/other'), 404);
    await new Promise((resolve) => hypervisor.close(resolve));
    assert.equal(await status(port), 500, 'the socket no longer accepts');
  } finally {
    probe.close();
  }
});

test('cluster detection: in-cluster config or KUBECONFIG, and NODE_NAME; otherwise the reason', () => {
  const token = join(tempDir(), 'token');
  writeFileSync(token, 'x');
  assert.deepEqual(detectCluster({}, token), {
    inCluster: false,
    reason: 'no in-cluster config and no KUBECONFIG',
  });
  assert.deepEqual(detectCluster({ KUBECONFIG: '/k' }, token), {
    inCluster: false,
    reason: 'NODE_NAME is not set',
  });
  assert.deepEqual(
    detectCluster(
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', NODE_NAME: 'n1', POD_UID: 'u1' },
      token,
    ),
    {
      inCluster: true,
      nodeName: 'n1',
      podUid: 'u1',
      via: 'in-cluster config',
    },
  );
  // The service variables without a mounted token are not in-cluster config.
  assert.equal(
    detectCluster(
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', NODE_NAME: 'n1' },
      '/nonexistent',
    ).inCluster,
    false,
  );
});

test('the daemon outside a cluster: one line says what is off (kubernetes-mode.test.ts has the inside)', async () => {
  const outside = await startTestDaemon();
  assert.ok(
    outside.logs.some((line) =>
      line.includes(
        'not running in a Kubernetes cluster (no in-cluster config and no KUBECONFIG): the extended resource, PeerPod objects, image pull secrets and the startup probe are off',
      ),
    ),
  );
});
