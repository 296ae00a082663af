// peerpod-tunnel by hand, as an operator would use it: each command runs as a real process inside
// the test's own namespaces (a "worker" W, a CNI pod netns P, a "pod VM" V), never on this host's
// network. Needs root.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parseApfConfig, serializeApfConfig } from '@peerpods/apf-config';
import { tempDir } from '@peerpods/test-support';

const run = promisify(execFile);
const main = resolve(import.meta.dirname, 'fixtures/main.ts');
const id = `${process.pid % 10000}`;
const ns = { W: `pt-w-${id}`, P: `pt-p-${id}`, V: `pt-v-${id}`, PV: `pt-pv-${id}` };
const path = (name: string) => `/run/netns/${name}`;

async function sh(...args: string[]): Promise<string> {
  return (await run(args[0]!, args.slice(1))).stdout;
}

function tunnel(inNetns: string, ...args: string[]) {
  return run('ip', ['netns', 'exec', inNetns, process.execPath, '--import', 'tsx', main, ...args], {
    cwd: resolve(import.meta.dirname, '..'),
  });
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root: it builds network namespaces');
  for (const name of Object.values(ns)) await sh('ip', 'netns', 'add', name);
  // Underlay: W 198.51.100.1/24 <-> V 198.51.100.2/24.
  await sh('ip', 'link', 'add', 'ul0', 'netns', ns.W, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns.V);
  // The pod's veth: P eth0 10.244.9.5/24 <-> W pod-side 10.244.9.1/24.
  await sh(
    'ip',
    'link',
    'add',
    'eth0',
    'netns',
    ns.P,
    'address',
    '0a:58:0a:f4:09:05',
    'type',
    'veth',
    'peer',
    'name',
    'veth-p',
    'netns',
    ns.W,
  );
  const batch = (name: string, lines: string[]) => {
    const result = spawnSync('ip', ['-n', name, '-batch', '-'], {
      input: `${lines.join('\n')}\n`,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  };
  batch(ns.W, [
    'link set lo up',
    'addr add 198.51.100.1/24 dev ul0',
    'link set ul0 up',
    'route add default via 198.51.100.2',
    'addr add 10.244.9.1/24 dev veth-p',
    'link set veth-p up',
  ]);
  batch(ns.V, [
    'link set lo up',
    'addr add 198.51.100.2/24 dev ul0',
    'link set ul0 up',
    'route add default via 198.51.100.1',
  ]);
  batch(ns.P, [
    'link set lo up',
    'addr add 10.244.9.5/24 dev eth0',
    'link set eth0 up',
    'route add default via 10.244.9.1',
  ]);
});

after(async () => {
  for (const name of Object.values(ns)) await run('ip', ['netns', 'del', name]).catch(() => {});
});

test('check, inspect, worker up, podvm up, traffic through the tunnel, list, and both downs', {
  timeout: 120_000,
}, async () => {
  const check = await tunnel(ns.W, 'check');
  assert.match(check.stdout, /ok +vxlan: the kernel creates VXLAN links/);
  assert.doesNotMatch(check.stdout, /MISSING/);

  const inspected = JSON.parse((await tunnel(ns.W, 'inspect', path(ns.P))).stdout);
  assert.equal(inspected.podip, '10.244.9.5/24');
  assert.equal(inspected['pod-hw-addr'], '0a:58:0a:f4:09:05');
  assert.equal(inspected['worker-node-ip'], '198.51.100.1/24');

  // -log-level debug shows each command on stderr; stdout stays the pod-network object alone.
  const traced = await tunnel(
    ns.W,
    '-log-level',
    'debug',
    'worker',
    'up',
    path(ns.P),
    '--remote',
    '198.51.100.2',
  );
  const up = JSON.parse(traced.stdout);
  assert.equal(up['vxlan-id'], 555000);
  assert.match(
    traced.stderr,
    /\[peerpod-tunnel\] DEBUG: running ip -batch - <<< link add vxlan1 .* type vxlan id 555000 /,
  );
  assert.match(traced.stderr, /running tc .*mirred egress redirect dev vxlan1/);
  const config = join(tempDir(), 'apf.json');
  writeFileSync(
    config,
    serializeApfConfig({
      ...parseApfConfig(
        JSON.stringify({ 'pod-network': up, 'pod-namespace': 'default', 'pod-name': 'demo' }),
      ),
    }),
  );
  await tunnel(ns.V, 'podvm', 'up', '--config', config, '--pod-namespace', path(ns.PV));

  // From the pod VM's pod namespace, the pod's gateway on the worker answers through the tunnel.
  const ping = await sh('ip', 'netns', 'exec', ns.PV, 'ping', '-c', '2', '-W', '2', '10.244.9.1');
  assert.match(ping, /2 received/);

  const list = (await tunnel(ns.W, 'list')).stdout;
  assert.match(
    list,
    new RegExp(`${path(ns.P)}\\tvxlan1\\tvni 555000\\tremote 198\\.51\\.100\\.2\\tport 4789`),
  );

  assert.match(
    (await tunnel(ns.W, 'worker', 'down', path(ns.P))).stdout,
    /removed the tunnel with VNI 555000/,
  );
  assert.match((await tunnel(ns.W, 'worker', 'down', path(ns.P))).stdout, /no tunnel in/);
  assert.match(
    (await tunnel(ns.V, 'podvm', 'down', '--config', config, '--pod-namespace', path(ns.PV))).stdout,
    /removed eth0/,
  );
  // Other suites may have tunnels of their own in this moment; none of ours may be left.
  assert.doesNotMatch(
    (await tunnel(ns.W, 'list')).stdout,
    new RegExp(`${path(ns.P)}|${path(ns.PV)}|\\(host\\)`),
  );
  assert.doesNotMatch(await sh('ip', 'netns', 'exec', ns.W, 'iptables-save', '-t', 'raw'), /peerpod/);
});

test('bad input: a namespace that does not exist is named in the error', { timeout: 60_000 }, async () => {
  await assert.rejects(
    tunnel(ns.W, 'inspect', '/run/netns/does-not-exist'),
    (error: Error & { stderr?: string }) =>
      /network namespace \/run\/netns\/does-not-exist does not exist/.test(error.stderr ?? ''),
  );
});

test('-log-format json: a failure is one JSON record at level error, exit 1', {
  timeout: 60_000,
}, async () => {
  const failed = await tunnel(ns.W, '-log-format', 'json', 'inspect', '/run/netns/does-not-exist').then(
    () => assert.fail('inspect of a missing namespace succeeded'),
    (error: Error & { stderr: string; code: number }) => error,
  );
  assert.equal(failed.code, 1);
  const lines = failed.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, failed.stderr);
  const record = JSON.parse(lines[0]!);
  assert.equal(record.level, 'error');
  assert.match(record.msg ?? record.message, /network namespace \/run\/netns\/does-not-exist does not exist/);
});
