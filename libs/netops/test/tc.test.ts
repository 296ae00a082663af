import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { getLink, ipBatch, listFilters, listQdiscs, netnsMoveRef, runTc, tcBatch } from '../src/index';
import { requireRoot, Scratch, type ScratchNetns } from './support/scratch';

const exec = promisify(execFile);

/** The pod-networking tc recipe: everything arriving on one link leaves through the other. */
function redirectBothWays(a: string, b: string): string[] {
  const redirect = (from: string, to: string) => [
    `qdisc add dev ${from} ingress`,
    `filter add dev ${from} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${to}`,
  ];
  return [...redirect(a, b), ...redirect(b, a)];
}

describe('tc', () => {
  const scratch = new Scratch();
  afterEach(() => scratch.cleanup());

  test('ingress qdisc + u32 match-all mirred redirect between two links, both ways, then removed', async () => {
    requireRoot();
    const p = await scratch.netns();
    const other = await scratch.netns();
    await ipBatch(
      [
        `link add eth0 type veth peer name peer0 netns ${other.name}`,
        'link add vxlan1 type vxlan id 555003 remote 198.51.100.2 dstport 4789',
        'link set eth0 up',
        'link set vxlan1 up',
      ],
      { netns: p.path },
    );
    await tcBatch(redirectBothWays('eth0', 'vxlan1'), { netns: p.path });

    for (const [from, to] of [
      ['eth0', 'vxlan1'],
      ['vxlan1', 'eth0'],
    ] as const) {
      const qdiscs = await listQdiscs({ netns: p.path, dev: from });
      assert.deepEqual(
        qdiscs.filter((q) => q.kind === 'ingress').map((q) => [q.dev, q.handle, q.parent]),
        [[from, 'ffff:', 'ffff:fff1']],
      );
      const rules = (await listFilters(from, { netns: p.path })).filter((f) => f.actions.length > 0);
      assert.equal(rules.length, 1, `one rule on ${from}`);
      const [rule] = rules;
      assert.equal(rule?.kind, 'u32');
      assert.equal(rule?.protocol, 'all');
      assert.equal(rule?.parent, 'ffff:');
      assert.deepEqual(
        rule?.actions.map((x) => [x.kind, x.mirredAction, x.direction, x.toDev]),
        [['mirred', 'redirect', 'egress', to]],
      );
    }
    // The plain-text view agrees.
    const { stdout } = await runTc(['filter', 'show', 'dev', 'eth0', 'ingress'], { netns: p.path });
    assert.match(stdout, /Egress Redirect to device vxlan1/);

    await tcBatch(['qdisc del dev eth0 ingress', 'qdisc del dev vxlan1 ingress'], { netns: p.path });
    assert.deepEqual(await listFilters('eth0', { netns: p.path }), []);
    assert.deepEqual(
      (await listQdiscs({ netns: p.path })).filter((q) => q.kind === 'ingress'),
      [],
      'both ingress qdiscs gone',
    );
  });

  test('end to end: a ping crosses the VXLAN tunnel through the tc redirect (all inside test namespaces)', async () => {
    requireRoot();
    // C: a neighbour of the pod on its CNI link (10.244.9.1); P: the pod netns on the worker, eth0 + vxlan1
    // redirected into each other; W: worker host namespace; V: pod VM root; Q: pod netns in the VM,
    // with the pod's IP (10.244.9.2) and MAC on its VXLAN end.
    const [c, p, w, v, q] = (await Promise.all([1, 2, 3, 4, 5].map(() => scratch.netns()))) as [
      ScratchNetns,
      ScratchNetns,
      ScratchNetns,
      ScratchNetns,
      ScratchNetns,
    ];
    await ipBatch([`link add eth0 type veth peer name cni0 netns ${c.name}`, 'link set eth0 up'], {
      netns: p.path,
    });
    const podMac = (await getLink('eth0', { netns: p.path }))?.address;
    assert.ok(podMac !== undefined);
    await ipBatch(['addr add 10.244.9.1/24 dev cni0', 'link set cni0 up'], { netns: c.path });
    await ipBatch(
      [
        `link add uw type veth peer name uv netns ${v.name}`,
        'addr add 198.51.100.1/24 dev uw',
        'link set uw up',
        'link add ppvxlan1 type vxlan id 555004 remote 198.51.100.2 local 198.51.100.1 dev uw dstport 4789',
        `link set ppvxlan1 netns ${netnsMoveRef(p.path)}`,
      ],
      { netns: w.path },
    );
    await ipBatch(['link set ppvxlan1 name vxlan1', 'link set vxlan1 up'], { netns: p.path });
    await tcBatch(redirectBothWays('eth0', 'vxlan1'), { netns: p.path });
    await ipBatch(
      [
        'addr add 198.51.100.2/24 dev uv',
        'link set uv up',
        'link add vxlan0 type vxlan id 555004 remote 198.51.100.1 local 198.51.100.2 dev uv dstport 4789',
        `link set vxlan0 netns ${netnsMoveRef(q.path)}`,
      ],
      { netns: v.path },
    );
    await ipBatch(
      [
        'link set vxlan0 name eth0',
        `link set eth0 address ${podMac}`,
        'addr add 10.244.9.2/24 dev eth0',
        'link set eth0 up',
      ],
      { netns: q.path },
    );

    // ping exits 0 once any reply came back; the first request may wait for ARP across the tunnel.
    const ping = ['netns', 'exec', c.name, 'ping', '-c', '3', '-i', '0.2', '-W', '5', '10.244.9.2'];
    const { stdout } = await exec('ip', ping);
    assert.match(stdout, / [1-3] received/);
  });
});
