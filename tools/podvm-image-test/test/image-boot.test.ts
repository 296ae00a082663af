// Builds a libvirt image with the built binary (dist/bin/podvm-image-builder, its units embedded),
// then boots it under QEMU TCG with a cidata seed until the forwarder listens. Needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { requireRoot, tempDir } from '@peerpods/test-support';
import { apfSeed, apfTlsFields, BareQemu, USER_NETWORK_POD } from '../src';

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

const booted: BareQemu[] = [];
after(async () => {
  for (const qemu of booted) await qemu.stop();
});

test('a built image has our files, boots with systemd, reads its cidata user-data, and its forwarder listens with TLS', async () => {
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
  // A whole apf.json, with the TLS material the daemon would put there. QEMU's user network with a
  // router, in a namespace that leads nowhere, gives the forwarder its default route.
  writeFileSync(
    seed,
    apfSeed(
      {
        'pod-network': USER_NETWORK_POD,
        'pod-namespace': 'default',
        'pod-name': 'web',
        ...(await apfTlsFields('podvm-test')),
      },
      'podvm-test',
    ),
  );
  const qemu = BareQemu.start({
    image: raw,
    format: 'raw',
    seed,
    consoleFile: join(dir, 'console.log'),
    network: 'routed',
  });
  booted.push(qemu);
  // The journal goes to the console too (journald.conf.d/10-console.conf): systemd's own lines
  // say when a unit is ready, long after boot's status lines stop.
  const forwarderLine =
    /agent-protocol-forwarder\[\d+\]: .*listening on 0\.0\.0\.0:15150 \(TLS\) for pod default\/web/;
  await qemu.waitForConsole(forwarderLine, 300_000);
  // The grub line, the kernel and systemd came up; the boot chain ran in order.
  const output = qemu.console();
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
  await qemu.stop();
});
