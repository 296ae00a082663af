// The CNI-like pod network on real namespaces (root). Everything lives in a throwaway worker netns and
// pod netns made here, removed in after() even when a test fails; traffic never leaves them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { runCaptured } from '@peerpods/cli';
import { createNetns, deleteNetns, getLink, listAddresses, listLinks, listRoutes } from '@peerpods/netops';
import {
  buildCli,
  createPodNetwork,
  deleteBridge,
  deletePodNetwork,
  hostVethName,
  PodNetworkError,
  reservationsOf,
} from '@peerpods/shim-client';
import { spawnTs, tempDir } from '@peerpods/test-support';
import { FakeCloud } from './fakes';

const exec = promisify(execFile);
const PREFIX = `sc-${process.pid}-`;
let counter = 0;
const made = new Set<string>();
const ipamDir = tempDir('shim-client-ipam-');

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'this test needs root (it creates network namespaces, a bridge and veths): run it as root, as CI does',
    );
  }
}

/** A name for a namespace this file may make; every such name is deleted in after(). */
function uniqueName(): string {
  const name = `${PREFIX}${++counter}`;
  made.add(name);
  return name;
}

async function workerNetns(): Promise<string> {
  requireRoot();
  const path = await createNetns(uniqueName());
  await exec('ip', ['-n', path.split('/').pop()!, 'link', 'set', 'lo', 'up']);
  return path;
}

after(async () => {
  for (const name of made) await deleteNetns(name, { ifExists: true }).catch(() => {});
});

async function bridgePorts(worker: string, bridge = 'cni0'): Promise<string[]> {
  return (await listLinks({ netns: worker }))
    .filter((link) => link.master === bridge)
    .map((link) => link.name);
}

async function assertGone(handle: { name: string; hostVeth: string }, worker: string, bridge = 'cni0') {
  assert.equal(existsSync(`/run/netns/${handle.name}`), false, 'the pod netns is gone');
  assert.equal(await getLink(handle.hostVeth, { netns: worker }), undefined, 'the host veth is gone');
  assert.deepEqual(await bridgePorts(worker, bridge), [], 'nothing is left on the bridge');
  const held = Object.entries(await reservationsOf(ipamDir, bridge)).filter(
    ([, owner]) => owner === handle.name,
  );
  assert.deepEqual(held, [], 'no reservation is left');
}

test('createPodNetwork: eth0 with IP/prefix, MAC, MTU and default route; the gateway answers a ping; delete leaves nothing', async () => {
  const worker = await workerNetns();
  const name = uniqueName();
  const handle = await createPodNetwork({ name, workerNetns: worker, ipamDir });
  try {
    assert.deepEqual(
      { ...handle },
      {
        name,
        path: `/run/netns/${name}`,
        ip: '10.244.0.2',
        prefixLength: 24,
        mac: '0a:58:0a:f4:00:02',
        gateway: '10.244.0.1',
        mtu: 1500,
        hostVeth: handle.hostVeth,
        bridge: 'cni0',
        workerNetns: worker,
        ipamDir,
      },
    );
    const eth0 = await getLink('eth0', { netns: handle.path });
    assert.ok(eth0, 'eth0 exists in the pod netns');
    assert.equal(eth0.address, '0a:58:0a:f4:00:02');
    assert.equal(eth0.mtu, 1500);
    assert.ok(eth0.up);
    const addresses = await listAddresses({ netns: handle.path, dev: 'eth0', family: 'inet' });
    assert.deepEqual(
      addresses.map((a) => a.cidr),
      ['10.244.0.2/24'],
    );
    const lo = await getLink('lo', { netns: handle.path });
    assert.ok(lo?.up, 'lo is up');
    const routes = await listRoutes({ netns: handle.path });
    const defaults = routes.filter((route) => route.dst === '0.0.0.0/0');
    assert.deepEqual(
      defaults.map((r) => [r.gateway, r.dev]),
      [['10.244.0.1', 'eth0']],
    );
    const bridge = await getLink('cni0', { netns: worker });
    assert.equal(bridge?.kind, 'bridge');
    assert.ok(bridge?.up);
    assert.deepEqual(
      (await listAddresses({ netns: worker, dev: 'cni0', family: 'inet' })).map((a) => a.cidr),
      ['10.244.0.1/24'],
    );
    assert.deepEqual(await bridgePorts(worker), [handle.hostVeth]);
    assert.ok((await getLink(handle.hostVeth, { netns: worker }))?.up);
    assert.equal((await reservationsOf(ipamDir, 'cni0'))['10.244.0.2'], name);
    await exec('ip', ['netns', 'exec', name, 'ping', '-c1', '-W1', '10.244.0.1']);
  } finally {
    await deletePodNetwork(handle);
  }
  await assertGone(handle, worker);
  // Idempotent, also by name alone.
  await deletePodNetwork(handle);
  await deletePodNetwork({ name, workerNetns: worker, ipamDir });
  await deleteBridge({ workerNetns: worker });
  assert.equal(await getLink('cni0', { netns: worker }), undefined);
});

test('10 concurrent createPodNetwork calls get distinct addresses; deleting them all leaves nothing', async () => {
  const worker = await workerNetns();
  const names = Array.from({ length: 10 }, () => uniqueName());
  const results = await Promise.allSettled(
    names.map((name) => createPodNetwork({ name, workerNetns: worker, ipamDir, bridge: 'br-conc' })),
  );
  const handles = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    assert.deepEqual(failures, []);
    const ips = handles.map((h) => h.ip).sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
    assert.deepEqual(
      ips,
      Array.from({ length: 10 }, (_, i) => `10.244.0.${i + 2}`),
    );
    assert.equal(new Set(handles.map((h) => h.mac)).size, 10);
    assert.equal((await bridgePorts(worker, 'br-conc')).length, 10);
  } finally {
    await Promise.all(handles.map((handle) => deletePodNetwork(handle)));
  }
  for (const handle of handles) await assertGone(handle, worker, 'br-conc');
  assert.deepEqual(await reservationsOf(ipamDir, 'br-conc'), {});
});

test('concurrent creates from two processes (5 each) get distinct addresses', async () => {
  const worker = await workerNetns();
  const mine = Array.from({ length: 5 }, () => uniqueName());
  const theirs = Array.from({ length: 5 }, () => uniqueName());
  const child = spawnTs(join(import.meta.dirname, 'create-networks.ts'), [
    worker,
    ipamDir,
    'br-procs',
    ...theirs,
  ]);
  const childDone = new Promise<number | null>((resolve) => child.child.once('exit', resolve));
  const results = await Promise.allSettled(
    mine.map((name) => createPodNetwork({ name, workerNetns: worker, ipamDir, bridge: 'br-procs' })),
  );
  const code = await childDone;
  const handles = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const childHandles = theirs.map((name) => ({ name, workerNetns: worker, ipamDir, bridge: 'br-procs' }));
  try {
    assert.equal(code, 0, child.output());
    assert.equal(handles.length, 5, String(results.find((r) => r.status === 'rejected')?.reason));
    const held = await reservationsOf(ipamDir, 'br-procs');
    assert.equal(Object.keys(held).length, 10);
    assert.deepEqual(Object.values(held).sort(), [...mine, ...theirs].sort());
    assert.equal((await bridgePorts(worker, 'br-procs')).length, 10);
  } finally {
    await Promise.all([...handles, ...childHandles].map((target) => deletePodNetwork(target)));
  }
  assert.deepEqual(await reservationsOf(ipamDir, 'br-procs'), {});
  assert.deepEqual(await bridgePorts(worker, 'br-procs'), []);
});

test('an address that is already taken fails at the ipam step and leaves nothing behind', async () => {
  const worker = await workerNetns();
  const first = await createPodNetwork({
    name: uniqueName(),
    workerNetns: worker,
    ipamDir,
    bridge: 'br-taken',
  });
  try {
    const name = uniqueName();
    const error = await createPodNetwork({
      name,
      workerNetns: worker,
      ipamDir,
      bridge: 'br-taken',
      ip: first.ip,
    }).then(
      () => assert.fail('a second pod got the same address'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PodNetworkError);
    assert.equal(error.step, 'ipam');
    assert.match(
      error.message,
      new RegExp(
        `^creating pod network ${name}: ipam: ${first.ip.replaceAll('.', '\\.')} is already taken \\(held by ${first.name}\\)`,
      ),
    );
    assert.equal(existsSync(`/run/netns/${name}`), false);
    assert.deepEqual(await reservationsOf(ipamDir, 'br-taken'), { [first.ip]: first.name });
    assert.deepEqual(await bridgePorts(worker, 'br-taken'), [first.hostVeth]);
  } finally {
    await deletePodNetwork(first);
  }
  await assertGone(first, worker, 'br-taken');
});

test('a failure after the netns and the reservation (the bridge is not a bridge) removes both', async () => {
  const worker = await workerNetns();
  const name = uniqueName();
  await assert.rejects(
    createPodNetwork({ name, workerNetns: worker, ipamDir, bridge: 'lo' }),
    (error: unknown) =>
      error instanceof PodNetworkError &&
      error.step === 'bridge' &&
      /lo exists in the worker netns but is a/.test(error.message),
  );
  assert.equal(existsSync(`/run/netns/${name}`), false);
  assert.deepEqual(await reservationsOf(ipamDir, 'lo'), {});
  assert.equal(existsSync(join(ipamDir, 'lo', '10.244.0.2')), false);
});

test('bad input fails before anything is made', async () => {
  requireRoot();
  const name = uniqueName();
  for (const options of [
    { subnet: '10.244.0.1/24' },
    { ip: '10.244.0.1' },
    { ip: '10.245.0.2' },
    { mac: '01:00:00:00:00:01' },
  ]) {
    await assert.rejects(
      createPodNetwork({ name, ipamDir, bridge: 'br-bad', ...options }),
      (error: unknown) => error instanceof PodNetworkError && error.step === 'options',
    );
  }
  assert.equal(existsSync(`/run/netns/${name}`), false);
});

test('CLI run on the real pod network: the netns exists at CreateVM, and nothing is left after stop', async () => {
  const worker = await workerNetns();
  const cloud = await new FakeCloud().start();
  const stateDir = tempDir('shim-client-state-');
  try {
    const seen: { path: string; exists: boolean; eth0?: string }[] = [];
    cloud.onCreateVM = (request) => {
      seen.push({ path: request.networkNamespacePath, exists: existsSync(request.networkNamespacePath) });
    };
    cloud.script = { stdout: ['ok\n'], stderr: [], exitCode: 5 };
    let out = '';
    const program = buildCli({
      io: {
        stdout: (chunk) => {
          out += chunk;
        },
        stderr: () => {},
      },
    });
    const id = 'd'.repeat(64);
    made.add(`cni-${id.slice(0, 12)}`);
    const run = await runCaptured(program, [
      '--socket',
      cloud.socketPath,
      '--state-dir',
      stateDir,
      '--worker-netns',
      worker,
      '--bridge',
      'br-cli',
      '--ipam-dir',
      ipamDir,
      'run',
      '--id',
      id,
      '--',
      'true',
    ]);
    assert.equal(run.exitCode, 5, run.stderr + out);
    assert.deepEqual(seen, [{ path: `/run/netns/cni-${id.slice(0, 12)}`, exists: true }]);
    assert.equal(out, 'ok\n');
    await assertGone(
      { name: `cni-${id.slice(0, 12)}`, hostVeth: hostVethName(`cni-${id.slice(0, 12)}`) },
      worker,
      'br-cli',
    );
    assert.equal(existsSync(join(stateDir, `${id}.json`)), false);
  } finally {
    await cloud.stop();
  }
});
