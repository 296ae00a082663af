// Network namespaces (needs root): processes run inside the container's netns; List* read it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { types } from '@peerpods/protocols';
import { containerRequest, readAll, startTestAgent } from './harness';

const name = `dva-${process.pid}-1`;
const path = `/run/netns/${name}`;
let created = false;
/** `dummy` where the kernel has it; otherwise a veth pair with both ends inside the namespace. */
let kind = 'dummy';
let names = ['dva0', 'lo'];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(() => {
  if (process.getuid?.() !== 0) {
    assert.fail(
      'the network namespace tests need root (they create a namespace with ip netns add); run them as root',
    );
  }
  ip('netns', 'add', name);
  created = true;
  try {
    ip('-n', name, 'link', 'add', 'dva0', 'type', 'dummy');
  } catch {
    kind = 'veth';
    names = ['dva0', 'dva1', 'lo'];
    ip('-n', name, 'link', 'add', 'dva0', 'type', 'veth', 'peer', 'name', 'dva1');
    ip('-n', name, 'link', 'set', 'dva1', 'up');
  }
  ip('-n', name, 'link', 'set', 'dva0', 'mtu', '1400', 'up');
  ip('-n', name, 'addr', 'add', '10.199.7.2/24', 'dev', 'dva0');
  ip('-n', name, 'route', 'add', 'default', 'via', '10.199.7.1', 'dev', 'dva0');
  ip('-n', name, 'route', 'add', '10.200.0.0/16', 'via', '10.199.7.1', 'dev', 'dva0', 'src', '10.199.7.2');
});

after(() => {
  if (created) ip('netns', 'del', name);
});

function assertNamespaceView(interfaces: types.Interface[], routes: types.Route[]): void {
  const dummy = interfaces.find((i) => i.name === 'dva0');
  assert.ok(dummy, `dva0 in ${JSON.stringify(interfaces.map((i) => i.name))}`);
  assert.equal(dummy.device, 'dva0');
  assert.equal(dummy.type, kind);
  assert.equal(dummy.mtu, 1400n);
  assert.match(dummy.hwAddr, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal(dummy.rawFlags & 0x1, 0x1, 'IFF_UP');
  assert.deepEqual(
    dummy.IPAddresses.filter((a) => a.family === types.IPFamily.v4).map(({ family, address, mask }) => ({
      family,
      address,
      mask,
    })),
    [{ family: types.IPFamily.v4, address: '10.199.7.2', mask: '24' }],
  );
  // Only what the test made: it is the test namespace, not the host's.
  assert.deepEqual(interfaces.map((i) => i.name).sort(), names);
  const strip = ({ dest, gateway, device, source, scope, family }: types.Route) => ({
    dest,
    gateway,
    device,
    source,
    scope,
    family,
  });
  const v4 = routes.filter((r) => r.family === types.IPFamily.v4).map(strip);
  assert.deepEqual(v4, [
    { dest: '', gateway: '10.199.7.1', device: 'dva0', source: '', scope: 0, family: types.IPFamily.v4 },
    {
      dest: '10.199.7.0/24',
      gateway: '',
      device: 'dva0',
      source: '10.199.7.2',
      scope: 253,
      family: types.IPFamily.v4,
    },
    {
      dest: '10.200.0.0/16',
      gateway: '10.199.7.1',
      device: 'dva0',
      source: '10.199.7.2',
      scope: 0,
      family: types.IPFamily.v4,
    },
  ]);
}

test('a container whose OCI namespaces name the netns runs inside it', async () => {
  const { client } = await startTestAgent();
  await client.createContainer(containerRequest('c-net', ['ip', '-br', 'addr'], { netns: path }));
  await client.startContainer({ containerId: 'c-net' });
  const output = await readAll((r) => client.readStdout(r), 'c-net');
  assert.match(output, /^dva0(@dva1)?\s+\S+\s+10\.199\.7\.2\/24/m);
  assert.equal((await client.waitProcess({ containerId: 'c-net', execId: '' })).status, 0);

  // An exec process joins the same namespace.
  await client.execProcess({
    containerId: 'c-net',
    execId: 'e1',
    stringUser: undefined,
    process: { ...containerRequest('x', ['ip', '-br', 'link']).OCI!.Process! },
    stdinPort: 0,
    stdoutPort: 0,
    stderrPort: 0,
  });
  assert.match(await readAll((r) => client.readStdout(r), 'c-net', 'e1'), /^dva0(@dva1)?\s/m);

  // Without --netns, List* read the latest container's namespace.
  const interfaces = await client.listInterfaces({});
  const routes = await client.listRoutes({});
  assertNamespaceView(interfaces.Interfaces, routes.Routes);
  await client.removeContainer({ containerId: 'c-net', timeout: 0 });
});

test('--netns: ListInterfaces and ListRoutes read that namespace', async () => {
  const { client } = await startTestAgent({ netns: path });
  assertNamespaceView((await client.listInterfaces({})).Interfaces, (await client.listRoutes({})).Routes);
});

test('a namespace path that does not exist fails StartContainer with NotFound', async () => {
  const { client } = await startTestAgent();
  await client.createContainer(containerRequest('c-nonet', ['true'], { netns: '/run/netns/dva-missing-x' }));
  await assert.rejects(
    client.startContainer({ containerId: 'c-nonet' }),
    (error: Error & { code?: number }) => {
      assert.equal(error.code, 5);
      assert.match(error.message, /dva-missing-x/);
      return true;
    },
  );
  await client.removeContainer({ containerId: 'c-nonet', timeout: 0 });
});
