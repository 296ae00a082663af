import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  getLink,
  ipBatch,
  listLinks,
  NetopsCommandError,
  netnsMoveRef,
  tcBatch,
  VXLAN_DEFAULT_PORT,
} from '../src/index';
import { requireRoot, Scratch } from './support/scratch';

describe('ip -batch / tc -batch', () => {
  const scratch = new Scratch();
  afterEach(() => scratch.cleanup());

  test('a VXLAN link made in one namespace, moved to another, renamed and brought up', async () => {
    requireRoot();
    // W plays the worker's host namespace (underlay uw, 198.51.100.1), V the pod VM, P the pod.
    const w = await scratch.netns();
    const v = await scratch.netns();
    const p = await scratch.netns();
    await ipBatch(
      [
        `link add uw type veth peer name uv netns ${v.name}`,
        'addr add 198.51.100.1/24 dev uw',
        'link set uw up',
        `link add ppvxlan1 type vxlan id 555001 remote 198.51.100.2 local 198.51.100.1 dev uw dstport ${VXLAN_DEFAULT_PORT}`,
        `link set ppvxlan1 netns ${netnsMoveRef(p.path)}`,
      ],
      { netns: w.path },
    );
    assert.equal(await getLink('ppvxlan1', { netns: w.path }), undefined, 'moved out of W');
    await ipBatch(['link set ppvxlan1 name vxlan1', 'link set vxlan1 up'], { netns: p.path });

    const vxlan = await getLink('vxlan1', { netns: p.path });
    assert.ok(vxlan !== undefined);
    assert.equal(vxlan.kind, 'vxlan');
    assert.equal(vxlan.up, true);
    assert.equal(vxlan.mtu, 1450, 'VXLAN over a 1500 underlay');
    assert.equal(vxlan.vxlan?.id, 555001);
    assert.equal(vxlan.vxlan?.remote, '198.51.100.2');
    assert.equal(vxlan.vxlan?.local, '198.51.100.1');
    assert.equal(vxlan.vxlan?.port, 4789);
    assert.equal(typeof vxlan.linkNetnsId, 'number', 'its underlay stays in W');
    assert.deepEqual((await listLinks({ netns: p.path })).map((l) => l.name).sort(), ['lo', 'vxlan1']);
  });

  test('a link moves into a namespace given by /proc/PID/ns/net', async () => {
    requireRoot();
    const w = await scratch.netns();
    const p = await scratch.netns();
    const procPath = await scratch.sleeperPath(p);
    assert.equal(netnsMoveRef(procPath), procPath);
    await ipBatch(
      [
        'link add ppvxlan2 type vxlan id 555002 remote 198.51.100.2 dstport 4789',
        `link set ppvxlan2 netns ${netnsMoveRef(procPath)}`,
      ],
      { netns: w.path },
    );
    await ipBatch(['link set ppvxlan2 name vxlan1', 'link set vxlan1 up'], { netns: procPath });
    const vxlan = await getLink('vxlan1', { netns: p.path });
    assert.equal(vxlan?.vxlan?.id, 555002);
    assert.equal(vxlan?.up, true);
  });

  test('a failing batch names its command, exit status, stderr and line', async () => {
    requireRoot();
    const a = await scratch.netns();
    const lines = ['link set lo up', 'link set lo mtu 65536', 'link set dev vxlan9 up', 'link set lo up'];
    const error = await ipBatch(lines, { netns: a.path }).then(
      () => assert.fail('the batch should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NetopsCommandError);
    assert.equal(error.commandLine, `ip -n ${a.name} -batch -`);
    assert.equal(error.exitCode, 1);
    assert.deepEqual(error.failedLine, { number: 3, text: 'link set dev vxlan9 up' });
    assert.match(error.stderr, /Cannot find device "vxlan9"/);
    assert.equal(
      error.message,
      `ip -n ${a.name} -batch -: exit 1: Cannot find device "vxlan9" (line 3: link set dev vxlan9 up)`,
    );

    // Through nsenter the command line says so.
    const mounted = await scratch.bindMountPath(a);
    await assert.rejects(ipBatch(['addr add 198.51.100.1/24 dev nosuch0'], { netns: mounted }), {
      message: new RegExp(`^nsenter --net=${mounted} ip -batch -: exit 1: .*nosuch0.* \\(line 1: addr add `),
    });

    // A line ip cannot parse makes it exit without naming the line; stderr still says what was wrong.
    await assert.rejects(ipBatch(['link set lo up', 'addr add 198.51.100.1/33 dev lo'], { netns: a.path }), {
      name: 'NetopsCommandError',
      message: new RegExp(`^ip -n ${a.name} -batch -: exit 1: Error: .*"198\\.51\\.100\\.1/33"`),
      failedLine: undefined,
    });
  });

  test('tc -batch reports its failing line the same way', async () => {
    requireRoot();
    const a = await scratch.netns();
    await assert.rejects(
      tcBatch(['qdisc add dev lo ingress', 'qdisc add dev lo ingress'], { netns: a.path }),
      {
        name: 'NetopsCommandError',
        failedLine: { number: 2, text: 'qdisc add dev lo ingress' },
        message: new RegExp(`^tc -n ${a.name} -batch -: exit 1: .+ \\(line 2: qdisc add dev lo ingress\\)$`),
      },
    );
  });
});
