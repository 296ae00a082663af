// Builds a libvirt image with the built binary (dist/bin/podvm-image-builder, its units embedded),
// then boots it under QEMU TCG with a cidata seed until the forwarder starts. Needs root.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { cidataIso } from '@peerpods/iso9660';
import { requireRoot, tempDir } from '@peerpods/test-support';

const root = resolve(import.meta.dirname, '../../..');
const builder = join(root, 'dist/bin/podvm-image-builder');
const cache = '/var/cache/podvm-image-builder';

function build(output: string, format: string): string {
  return execFileSync(
    builder,
    ['build', '--provider', 'libvirt', '--format', format, '--output', output, '--cache', cache],
    {
      encoding: 'utf8',
      env: { ...process.env, SOURCE_DATE_EPOCH: '1780000000' },
    },
  );
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

test('a built image has our files, boots with systemd, reads its cidata user-data and starts the forwarder', async () => {
  requireRoot();
  const dir = tempDir('podvm-image-');
  const raw = join(dir, 'podvm.raw');
  const first = build(raw, 'raw');
  assert.match(first, /\[2\/7\] rootfs: done in/);
  assert.match(first, /\[5\/7\] filesystem: done in .* \(filesystem [0-9a-f-]{36}\)/);
  assert.match(first, /our binaries \(each a Node single executable\)/);
  assert.match(first, /a DEVELOPMENT image \(dev-agent, no isolation\)/);
  const second = build(join(dir, 'podvm.qcow2'), 'qcow2');
  assert.match(second, /rootfs: done in .* \(cached: /, 'the second build reuses the debootstrapped tree');
  assert.match(
    execFileSync('qemu-img', ['info', join(dir, 'podvm.qcow2')], { encoding: 'utf8' }),
    /file format: qcow2/,
  );

  // The root filesystem, read without mounting it: partition 1 starts at 1 MiB.
  const fs = `${raw}?offset=1048576`;
  const cat = (path: string) =>
    execFileSync('debugfs', ['-R', `cat ${path}`, fs], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  assert.match(cat('/etc/os-release'), /^VARIANT_ID=peerpods-dev$/m);
  assert.match(cat('/usr/lib/systemd/system/agent-protocol-forwarder.service'), /^Type=notify$/m);
  assert.match(cat('/usr/lib/systemd/system/kata-agent.service.d/10-dev-agent.conf'), /dev-agent --socket/);
  assert.equal(cat('/etc/machine-id'), '');
  assert.match(cat('/boot/grub/grub.cfg'), /net\.ifnames=0/);

  const seed = join(dir, 'seed.iso');
  // A whole apf.json. QEMU's user network with restrict=on offers no router, so the forwarder finds no
  // default route and says it waits for one: it got its configuration and set about the tunnel.
  const apf = JSON.stringify({
    'pod-network': {
      podip: '10.244.0.19/24',
      'pod-hw-addr': '0e:8f:62:f3:81:ad',
      interface: 'eth0',
      'worker-node-ip': '10.0.2.2/24',
      'tunnel-type': 'vxlan',
      mtu: 1450,
      index: 1,
      'vxlan-port': 4789,
      'vxlan-id': 555001,
      dedicated: false,
    },
    'pod-namespace': 'default',
    'pod-name': 'web',
  });
  writeFileSync(
    seed,
    cidataIso(
      `#cloud-config\nwrite_files:\n- path: /run/peerpod/apf.json\n  content: '${apf}'\n`,
      'podvm-test',
    ),
  );
  const console = join(dir, 'console.log');
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-m',
      '1024',
      '-display',
      'none',
      '-no-reboot',
      '-nodefaults',
      '-drive',
      `file=${raw},format=raw,if=virtio`,
      '-drive',
      `file=${seed},format=raw,if=virtio,readonly=on`,
      // QEMU's user network with restrict=on: the guest gets DHCP, and no packet leaves QEMU.
      '-nic',
      'user,model=virtio-net-pci,restrict=on',
      '-serial',
      `file:${console}`,
    ],
    { stdio: 'ignore' },
  );
  children.push(qemu);
  const deadline = Date.now() + 300_000;
  const text = () => (existsSync(console) ? readFileSync(console, 'utf8') : '');
  // The journal goes to the console too (journald.conf.d/10-console.conf): systemd's own lines
  // say when a unit is ready, long after boot's status lines stop.
  const forwarderLine =
    /agent-protocol-forwarder\[\d+\]: .*waiting up to 180 s for the network: no IPv4 default route/;
  while (!forwarderLine.test(text())) {
    if (Date.now() > deadline || qemu.exitCode !== null) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
  // The grub line, the kernel and systemd came up; the boot chain ran in order.
  const output = text();
  assert.match(output, /Debian GNU\/Linux 12|Welcome to/, output.slice(-3000));
  // In order: user-data provisioned from the cidata disk, the agent, then the forwarder, which its
  // path unit starts only once the agent's socket exists.
  const provisioned = output.search(/systemd\[1\]: Finished process-user-data\.service/);
  const agent = output.search(/dev-agent\[\d+\]: .* serving grpc\.AgentService/);
  const forwarder = output.search(forwarderLine);
  assert.ok(provisioned > 0 && agent > provisioned && forwarder > agent, output.slice(-4000));
  assert.match(
    output,
    /agent-protocol-forwarder\[\d+\]: .*DEVELOPMENT/,
    'the forwarder says it serves a dev-agent',
  );
  qemu.kill('SIGKILL');
});
