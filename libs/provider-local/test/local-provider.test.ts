// The provider against the real kernel, inside a throwaway "daemon" namespace; the pod-VM programs are
// the scripts of support.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseIpv4Subnet } from '@peerpods/netops';
import type { CreateInstanceRequest } from '@peerpods/providers';
import { removeNetns, requireRoot, tempDir, throwawayNetns, waitFor } from '@peerpods/test-support';
import type { LocalProvider } from '../src/local-provider';
import { fakeImage, startProvider } from './support';

let counter = 0;
function request(userData = '#cloud-config\n'): CreateInstanceRequest {
  counter++;
  const name = `lpvm-${process.pid}-${counter}`;
  return {
    podName: 'demo',
    sandboxId: name,
    instanceName: name,
    userData,
    spec: { instanceType: '', vcpus: 0, memoryMiB: 0, gpus: 0, image: '', multiNic: false, volumes: [] },
    signal: new AbortController().signal,
  };
}

const ip = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const netnsNames = () =>
  ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0]);
const alive = (pid: number) => existsSync(`/proc/${pid}`);
const pidsIn = (netns: string) =>
  ip(['netns', 'pids', netns])
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);

async function stopped(provider: LocalProvider, netns: string): Promise<void> {
  await provider.teardown();
  assert.equal(ip(['-n', netns, 'link', 'show']).includes('ppbr0'), false, 'bridge removed at teardown');
}

test('createInstance builds a pod VM namespace on the bridge and boots the image in it; deleteInstance removes all of it', async () => {
  requireRoot();
  const daemon = throwawayNetns('lpt');
  const dir = tempDir();
  const stateDir = join(dir, 'state');
  const logs: string[] = [];
  const provider = await startProvider({ stateDir, netns: daemon.path, binaries: fakeImage(dir) }, logs);
  const userData = '#cloud-config\nwrite_files: []\n';
  const instance = await provider.createInstance(request(userData));
  const name = instance.id;
  const root = join(stateDir, name);
  try {
    assert.deepEqual(instance, { id: name, name, ips: ['10.199.0.2'] });
    // The VM's eth0 has its address and a default route through the bridge; the host end is on it.
    assert.match(ip(['-n', name, '-br', '-4', 'addr', 'show', 'eth0']), /10\.199\.0\.2\/24/);
    assert.match(ip(['-n', name, 'route', 'show', 'default']), /default via 10\.199\.0\.1 dev eth0/);
    assert.match(ip(['-n', daemon.name, 'link', 'show', 'ppvm2']), /master ppbr0/);
    assert.match(ip(['-n', daemon.name, '-br', '-4', 'addr', 'show', 'ppbr0']), /10\.199\.0\.1\/24/);
    // Reachable over the bridge, from inside namespaces this test made.
    execFileSync('ip', ['netns', 'exec', daemon.name, 'ping', '-c1', '-W2', '10.199.0.2'], {
      stdio: 'ignore',
    });
    // The boot: user-data as the cidata file, process-user-data ran inside the VM with --root.
    assert.equal(readFileSync(join(root, 'media/cidata/user-data'), 'utf8'), userData);
    assert.equal(readFileSync(join(root, 'run/peerpod/apf.json'), 'utf8'), userData);
    assert.match(readFileSync(join(root, 'run/peerpod/seen-eth0'), 'utf8'), /10\.199\.0\.2\/24/);
    assert.equal(
      readFileSync(join(root, 'run/peerpod/args'), 'utf8').trim(),
      `provision-files --root ${root} -t 30`,
    );
    // Forwarder and agent run inside the VM with per-instance paths.
    await waitFor(() => existsSync(join(root, 'run/peerpod/forwarder-args')), 'the forwarder to start');
    await waitFor(() => existsSync(join(root, 'run/kata-containers/agent-env')), 'the agent to start');
    assert.equal(
      readFileSync(join(root, 'run/peerpod/forwarder-args'), 'utf8').trim(),
      `-config ${root}/run/peerpod/apf.json -kata-agent-socket ${root}/run/kata-containers/agent.sock -pod-namespace /run/netns/${name}-podns`,
    );
    assert.equal(
      readFileSync(join(root, 'run/kata-containers/agent-env'), 'utf8').trim(),
      `unix://${root}/run/kata-containers/agent.sock`,
    );
    assert.ok(netnsNames().includes(`${name}-podns`), 'the pod namespace inside the VM exists');
    const pids = pidsIn(name);
    assert.equal(pids.length, 2, 'forwarder and agent run in the VM namespace');

    await provider.deleteInstance(name);
    assert.equal(pids.some(alive), false, 'processes stopped');
    assert.equal(netnsNames().includes(name), false);
    assert.equal(netnsNames().includes(`${name}-podns`), false);
    assert.equal(ip(['-n', daemon.name, 'link', 'show']).includes('ppvm2'), false, 'veth gone');
    assert.equal(existsSync(root), false, 'directory gone');
    assert.match(logs.join('\n'), new RegExp(`created pod VM ${name} at 10\\.199\\.0\\.2`));
    await provider.deleteInstance(name); // idempotent
  } finally {
    removeNetns(name);
    removeNetns(`${name}-podns`);
    await stopped(provider, daemon.name);
  }
});

test('concurrent creates get distinct addresses; a freed address is reused', async () => {
  requireRoot();
  const daemon = throwawayNetns('lpt');
  const dir = tempDir();
  const provider = await startProvider({
    stateDir: join(dir, 'state'),
    netns: daemon.path,
    binaries: fakeImage(dir),
  });
  const names: string[] = [];
  try {
    const instances = await Promise.all([1, 2, 3, 4, 5].map(() => provider.createInstance(request())));
    names.push(...instances.map((instance) => instance.id));
    assert.deepEqual(instances.map((instance) => instance.ips[0]).sort(), [
      '10.199.0.2',
      '10.199.0.3',
      '10.199.0.4',
      '10.199.0.5',
      '10.199.0.6',
    ]);
    const third = instances.find((instance) => instance.ips[0] === '10.199.0.4')!;
    await provider.deleteInstance(third.id);
    const again = await provider.createInstance(request());
    names.push(again.id);
    assert.deepEqual(again.ips, ['10.199.0.4']);
  } finally {
    for (const name of names) {
      await provider.deleteInstance(name);
      removeNetns(name);
    }
    await stopped(provider, daemon.name);
  }
});

/** A provider on a throwaway daemon namespace for one test; torn down (and checked) afterwards. */
async function withProvider(
  image: Parameters<typeof fakeImage>[1],
  work: (scope: {
    provider: LocalProvider;
    daemon: { name: string; path: string };
    stateDir: string;
  }) => Promise<void>,
): Promise<void> {
  requireRoot();
  const daemon = throwawayNetns('lpt');
  const dir = tempDir();
  const stateDir = join(dir, 'state');
  const provider = await startProvider({ stateDir, netns: daemon.path, binaries: fakeImage(dir, image) });
  try {
    await work({ provider, daemon, stateDir });
  } finally {
    await stopped(provider, daemon.name);
  }
}

const BOOT_FAILURES = [
  {
    what: 'process-user-data exits 1',
    image: { failUserData: true },
    error: '.*process-user-data provision-files .*exit 1: user-data: not a #cloud-config document',
  },
  {
    what: 'the forwarder dies at boot',
    image: { failForwarder: true },
    error:
      'agent-protocol-forwarder exited \\(code 2\\) during boot: \\[forwarder\\] apf.json: pod-network.mtu: expected a number',
  },
  {
    what: 'the agent dies at boot',
    image: { failAgent: true },
    error: 'the agent exited \\(code 3\\) during boot: cannot open /dev/vsock',
  },
] as const;

for (const failure of BOOT_FAILURES) {
  test(`${failure.what}: the create fails in its words and leaves nothing behind`, () =>
    withProvider(failure.image, async ({ provider, daemon, stateDir }) => {
      const failing = request();
      try {
        await assert.rejects(
          provider.createInstance(failing),
          new RegExp(`creating pod VM ${failing.instanceName}: ${failure.error}`),
        );
        assert.equal(netnsNames().includes(failing.instanceName), false);
        assert.equal(netnsNames().includes(`${failing.instanceName}-podns`), false);
        assert.equal(ip(['-n', daemon.name, 'link', 'show']).includes('ppvm'), false);
        assert.equal(existsSync(join(stateDir, failing.instanceName)), false);
        assert.deepEqual(provider.instances(), []);
      } finally {
        removeNetns(failing.instanceName);
      }
    }));
}

test("a name already taken by someone else's namespace fails the create and leaves that namespace alone", () =>
  withProvider({}, async ({ provider }) => {
    const taken = request();
    ip(['netns', 'add', taken.instanceName]);
    try {
      await assert.rejects(
        provider.createInstance(taken),
        new RegExp(`network namespace ${taken.instanceName} already exists`),
      );
      assert.ok(netnsNames().includes(taken.instanceName), 'the other namespace is still there');
      assert.deepEqual(provider.instances(), []);
    } finally {
      removeNetns(taken.instanceName);
    }
  }));

test('an aborted create (StopVM during StartVM) removes what it made', () =>
  withProvider({}, async ({ provider }) => {
    const aborted = { ...request(), signal: AbortSignal.abort(new Error('StopVM')) };
    try {
      await assert.rejects(provider.createInstance(aborted), /StopVM/);
      assert.equal(netnsNames().includes(aborted.instanceName), false);
      assert.deepEqual(provider.instances(), []);
    } finally {
      removeNetns(aborted.instanceName);
    }
  }));

test("start-up sweep: a crashed run's pod VMs (processes, namespaces, files) are removed", async () => {
  requireRoot();
  const daemon = throwawayNetns('lpt');
  const dir = tempDir();
  const stateDir = join(dir, 'state');
  const binaries = fakeImage(dir);
  const crashed = await startProvider({ stateDir, netns: daemon.path, binaries });
  const left = await crashed.createInstance(request());
  const name = left.id;
  try {
    const root = join(stateDir, name);
    await waitFor(() => existsSync(join(root, 'run/peerpod/forwarder-args')), 'the forwarder to start');
    await waitFor(() => existsSync(join(root, 'run/kata-containers/agent-env')), 'the agent to start');
    // A container the agent had started, inside the pod namespace.
    const container = Number(
      execFileSync('sh', ['-c', `ip netns exec ${name}-podns sleep 1000 >/dev/null 2>&1 & echo $!`], {
        encoding: 'utf8',
      }).trim(),
    );
    const pids = [...pidsIn(name), container];
    assert.equal(pids.length, 3);
    // The daemon is gone without cleaning up (SIGKILL); a new one starts on the same state directory.
    const logs: string[] = [];
    const next = await startProvider({ stateDir, netns: daemon.path, binaries }, logs);
    try {
      await waitFor(() => !pids.some(alive), 'the leftover processes to be gone', 5000);
      assert.equal(netnsNames().includes(name), false);
      assert.equal(netnsNames().includes(`${name}-podns`), false);
      assert.equal(existsSync(join(stateDir, name)), false);
      assert.equal(ip(['-n', daemon.name, 'link', 'show']).includes('ppvm'), false);
      assert.match(
        logs.join('\n'),
        new RegExp(
          `removed pod VM ${name} left by an earlier run \\(3 process\\(es\\), its namespaces and files\\)`,
        ),
      );
      // The address is free again.
      const fresh = await next.createInstance(request());
      assert.deepEqual(fresh.ips, ['10.199.0.2']);
      await next.deleteInstance(fresh.id);
    } finally {
      await stopped(next, daemon.name);
    }
  } finally {
    removeNetns(name);
    removeNetns(`${name}-podns`);
  }
});

test('bad configuration: a clashing subnet, a busy state directory, a missing program', async () => {
  requireRoot();
  const daemon = throwawayNetns('lpt');
  const dir = tempDir();
  const binaries = fakeImage(dir);
  ip(['-n', daemon.name, 'link', 'add', 'other0', 'type', 'bridge']);
  ip(['-n', daemon.name, 'link', 'set', 'other0', 'up']);
  ip(['-n', daemon.name, 'route', 'add', '10.199.0.0/16', 'dev', 'other0']);
  await assert.rejects(
    startProvider({ stateDir: join(dir, 'a'), netns: daemon.path, binaries }),
    /local subnet 10\.199\.0\.0\/24 overlaps the route "10\.199\.0\.0\/16 dev other0" in this network namespace; choose a free one with -local-subnet/,
  );
  assert.equal(ip(['-n', daemon.name, 'link', 'show']).includes('ppbr0'), false, 'no bridge made');

  const busy = join(dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, '.peerpods-local-state'), '');
  writeFileSync(join(busy, '.owner'), '1\n'); // PID 1 is alive and is not us
  await assert.rejects(
    startProvider({ stateDir: busy, netns: daemon.path, binaries }),
    /local state directory .*busy is in use by process 1; stop it, or give this one its own with -local-state-dir/,
  );

  // The claim of a daemon that is gone (its PID no longer runs) is taken over.
  const dead = join(dir, 'dead');
  mkdirSync(dead);
  writeFileSync(join(dead, '.peerpods-local-state'), '');
  const gone = execFileSync('sh', ['-c', 'sh -c "exit 0" & echo $!'], { encoding: 'utf8' }).trim();
  await waitFor(() => !existsSync(`/proc/${gone}`), 'the short-lived process to be gone');
  writeFileSync(join(dead, '.owner'), `${gone}\n`);
  // (another subnet: this namespace routes the default one elsewhere, see above)
  const taker = await startProvider({
    stateDir: dead,
    netns: daemon.path,
    binaries,
    subnet: parseIpv4Subnet('10.198.0.0/24'),
  });
  assert.equal(readFileSync(join(dead, '.owner'), 'utf8'), `${process.pid}\n`);
  await taker.teardown();
  assert.equal(existsSync(join(dead, '.owner')), false, 'the claim is given up at teardown');

  // A directory with other things in it would be swept: refused, and left as it was.
  const foreign = join(dir, 'foreign');
  mkdirSync(join(foreign, 'photos'), { recursive: true });
  writeFileSync(join(foreign, 'notes.txt'), 'keep me');
  await assert.rejects(
    startProvider({ stateDir: foreign, netns: daemon.path, binaries }),
    /local state directory .*foreign is not empty and was not made by peer pods; give it an empty or new one with -local-state-dir/,
  );
  assert.deepEqual(readdirSync(foreign).sort(), ['notes.txt', 'photos']);

  await assert.rejects(
    startProvider({
      stateDir: join(dir, 'c'),
      netns: daemon.path,
      binaries: { ...binaries, agent: join(dir, 'no-such-agent') },
    }),
    /kata agent not found or not executable at .*no-such-agent \(set -agent-binary\)/,
  );
});
