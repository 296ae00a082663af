import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import {
  assertNetnsExists,
  type CommandRunner,
  getLink,
  ipBatch,
  listAddresses,
  listLinks,
  listLinksAndAddresses,
  listNeighbours,
  listRoutes,
  NetnsNotFoundError,
  netnsExists,
  runCommand,
} from '../src/index';
import { requireRoot, Scratch, type ScratchNetns } from './support/scratch';

// Documentation prefixes only, and only inside namespaces made here.
const NEIGHBOUR_MAC = '02:00:5e:00:53:09';

/** Namespace A with veth `ta` (peer `tb` in B), an address, two routes and a permanent neighbour. */
async function podLikeNamespace(scratch: Scratch): Promise<ScratchNetns> {
  const a = await scratch.netns();
  const b = await scratch.netns();
  await ipBatch(
    [
      `link add ta type veth peer name tb netns ${b.name}`,
      'addr add 198.51.100.1/24 dev ta',
      'link set ta up',
      'route add 203.0.113.0/24 via 198.51.100.254 dev ta',
      'route add default via 198.51.100.254 dev ta',
      `neigh add 198.51.100.9 lladdr ${NEIGHBOUR_MAC} dev ta nud permanent`,
    ],
    { netns: a.path },
  );
  return a;
}

/** What the reads say about the namespace, without the raw JSON (which differs in counters). */
async function readAll(netns: string) {
  const links = await listLinks({ netns });
  const addresses = await listAddresses({ netns, family: 'inet' });
  const routes = await listRoutes({ netns });
  const neighbours = await listNeighbours({ netns });
  return {
    links: links.map((l) => ({ name: l.name, kind: l.kind, up: l.up, mtu: l.mtu, address: l.address })),
    addresses: addresses.map((a) => ({ ifname: a.ifname, cidr: a.cidr, scope: a.scope })),
    routes: routes.map(({ raw: _raw, ...route }) => route),
    neighbours: neighbours.map(({ raw: _raw, ...neighbour }) => neighbour),
  };
}

describe('reads (ip -json) inside a namespace', () => {
  const scratch = new Scratch();
  afterEach(() => scratch.cleanup());

  test('listLinksAndAddresses: the same links and addresses as the two reads, from one process', async () => {
    const a = await podLikeNamespace(scratch);
    await ipBatch(['link add vx9 type vxlan id 42 remote 198.51.100.7 dstport 4789'], { netns: a.path });
    const both = await listLinksAndAddresses({ netns: a.path, family: 'inet' });
    const strip = <T extends { raw: unknown }>({ raw: _raw, ...rest }: T) => rest;
    const links = await listLinks({ netns: a.path });
    assert.deepEqual(
      both.links.map((l) => ({ ...strip(l), flags: undefined, operState: undefined })),
      links.map((l) => ({ ...strip(l), flags: undefined, operState: undefined })),
    );
    assert.equal(both.links.find((l) => l.name === 'vx9')?.vxlan?.id, 42);
    assert.deepEqual(
      both.addresses.map(strip),
      (await listAddresses({ netns: a.path, family: 'inet' })).map(strip),
    );
    assert.ok(both.addresses.some((x) => x.cidr === '198.51.100.1/24'));
  });

  test('links, addresses, routes and neighbours of a veth, by /run/netns path', async () => {
    requireRoot();
    const a = await podLikeNamespace(scratch);

    const links = await listLinks({ netns: a.path });
    assert.deepEqual(links.map((l) => l.name).sort(), ['lo', 'ta']);
    const ta = links.find((l) => l.name === 'ta')!;
    assert.equal(ta.kind, 'veth');
    assert.equal(ta.up, true);
    assert.equal(ta.mtu, 1500);
    assert.match(ta.address ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.equal(ta.linkType, 'ether');
    assert.equal(typeof ta.linkNetnsId, 'number', 'the peer is in another namespace');
    assert.equal(links.find((l) => l.name === 'lo')?.kind, undefined);

    assert.equal((await getLink('ta', { netns: a.path }))?.index, ta.index);
    assert.equal(await getLink('nosuch0', { netns: a.path }), undefined);

    const addresses = await listAddresses({ netns: a.path });
    const v4 = addresses.filter((x) => x.family === 'inet').map((x) => [x.ifname, x.cidr, x.scope]);
    assert.deepEqual(v4, [
      ['lo', '127.0.0.1/8', 'host'],
      ['ta', '198.51.100.1/24', 'global'],
    ]);
    assert.deepEqual(
      (await listAddresses({ netns: a.path, dev: 'ta', family: 'inet' })).map((x) => x.cidr),
      ['198.51.100.1/24'],
    );

    const routes = await listRoutes({ netns: a.path });
    const byDst = new Map(routes.map((r) => [r.dst, r]));
    assert.deepEqual([...byDst.keys()].sort(), ['0.0.0.0/0', '198.51.100.0/24', '203.0.113.0/24']);
    assert.deepEqual(
      pick(byDst.get('0.0.0.0/0')!, ['type', 'gateway', 'dev', 'protocol', 'scope', 'table', 'family']),
      {
        type: 'unicast',
        gateway: '198.51.100.254',
        dev: 'ta',
        protocol: 'boot',
        scope: 'global',
        table: 'main',
        family: 'inet',
      },
    );
    assert.deepEqual(
      pick(byDst.get('198.51.100.0/24')!, ['gateway', 'dev', 'protocol', 'scope', 'prefsrc']),
      {
        gateway: undefined,
        dev: 'ta',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: '198.51.100.1',
      },
    );
    assert.equal(byDst.get('203.0.113.0/24')?.gateway, '198.51.100.254');

    const neighbours = await listNeighbours({ netns: a.path, dev: 'ta' });
    assert.deepEqual(
      neighbours.map((n) => [n.dst, n.dev, n.lladdr, n.permanent]),
      [['198.51.100.9', 'ta', NEIGHBOUR_MAC, true]],
    );
    assert.deepEqual(neighbours[0]?.state, ['PERMANENT']);
  });

  test('the same reads through nsenter: /proc/PID/ns/net of a process in the namespace', async () => {
    requireRoot();
    const a = await podLikeNamespace(scratch);
    const procPath = await scratch.sleeperPath(a);
    assert.match(procPath, /^\/proc\/\d+\/ns\/net$/);
    const byName = await readAll(a.path);
    assert.equal(byName.neighbours.length, 1);
    assert.deepEqual(await readAll(procPath), byName);

    const commands: string[] = [];
    const recording: CommandRunner = (file, args, options) => {
      commands.push([file, ...args].join(' '));
      return runCommand(file, args, options);
    };
    await listLinks({ netns: procPath, run: recording });
    await listLinks({ netns: a.path, run: recording });
    assert.deepEqual(commands, [
      `nsenter --net=${procPath} ip -json -details link show`,
      `ip -n ${a.name} -json -details link show`,
    ]);
  });

  test('the same reads through nsenter: a bind mount of the namespace outside /run/netns', async () => {
    requireRoot();
    const a = await podLikeNamespace(scratch);
    const mounted = await scratch.bindMountPath(a);
    assert.deepEqual(await readAll(mounted), await readAll(a.path));
  });

  test('a namespace path that does not exist gives a clear error', async () => {
    requireRoot();
    const missing = `/run/netns/${scratch.uniqueName()}`;
    await assert.rejects(listLinks({ netns: missing }), {
      name: 'NetnsNotFoundError',
      message: `network namespace ${missing} does not exist`,
    });
    await assert.rejects(ipBatch(['link set lo up'], { netns: '/proc/999999999/ns/net' }), {
      message: 'network namespace /proc/999999999/ns/net does not exist',
    });
    assert.equal(await netnsExists(missing), false);

    // A file with nothing mounted on it, like a /run/netns entry left behind: not a namespace either.
    const stale = join(tempDir('peerpods-netops-'), 'stale');
    await writeFile(stale, '');
    await assert.rejects(assertNetnsExists(stale), (error: unknown) => {
      assert.ok(error instanceof NetnsNotFoundError);
      assert.match(
        error.message,
        /^network namespace .*\/stale does not exist \(the file exists but no namespace/,
      );
      return true;
    });

    const a = await scratch.netns();
    assert.equal(await netnsExists(a.path), true);
    assert.equal(await netnsExists('/proc/self/ns/net'), true);
  });
});

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}
