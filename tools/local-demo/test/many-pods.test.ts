// Ten pods at once on one worker: each its own pod VM, VNI and tunnel, all reachable.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { startNode } from './support';

function vniOf(netns: string): number {
  const [link] = JSON.parse(
    execFileSync('ip', ['-n', netns, '-details', '-json', 'link', 'show', 'vxlan1'], { encoding: 'utf8' }),
  ) as { linkinfo: { info_data: { id: number } } }[];
  return link!.linkinfo.info_data.id;
}

test('10 pods at once: distinct VNIs, pod VMs and addresses; every pod reaches the worker; all removed', {
  timeout: 300_000,
}, async () => {
  const node = await startNode();
  const pods = await Promise.all(Array.from({ length: 10 }, () => node.launchPod()));
  try {
    const vnis = pods.map((pod) => vniOf(pod.state.podNetwork.name));
    assert.equal(new Set(vnis).size, 10, `VNIs ${vnis.join(', ')}`);
    assert.ok(
      vnis.every((vni) => vni >= 555000 && vni < 555010),
      `VNIs ${vnis.join(', ')}`,
    );
    assert.equal(new Set(pods.map((pod) => pod.state.podNetwork.ip)).size, 10);
    const results = await Promise.all(
      pods.map((pod) =>
        node.exec(pod, {
          args: [
            'sh',
            '-c',
            `ip -br -4 addr show eth0; curl -sS --max-time 20 http://${pod.state.podNetwork.gateway}:${WEB_PORT}/`,
          ],
        }),
      ),
    );
    for (const [index, result] of results.entries()) {
      const output = result.stdout.toString();
      assert.equal(result.exitCode, 0, result.stderr.toString());
      assert.ok(output.includes(`${pods[index]!.state.podNetwork.ip}/`), output);
      assert.ok(output.includes(WEB_PAGE), output);
    }
  } finally {
    const stops = await Promise.all(pods.map((pod) => node.stopPod(pod)));
    assert.deepEqual(
      stops.flatMap((stop) => stop.errors),
      [],
    );
  }
  assert.deepEqual(await node.leftoversWhileRunning(), []);
  assert.deepEqual(await node.stop(), []);
});
