import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveOptions } from '@peerpods/config';
import { LIBVIRT_OPTIONS } from '../src/options';
import { libvirtSettings } from '../src/settings';

const resolve = (flags: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) =>
  libvirtSettings(resolveOptions(LIBVIRT_OPTIONS, flags, env).values);

test("upstream's defaults: the qemu+ssh URI, pool and network default, podvm-base.qcow2, 2 vCPUs, 8 GiB, 10 GiB disk, OVMF", () => {
  assert.deepEqual(resolve(), {
    uri: 'qemu+ssh://root@192.168.122.1/system?no_verify=1',
    poolName: 'default',
    networkName: 'default',
    volumeName: 'podvm-base.qcow2',
    launchSecurity: '',
    firmware: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    vcpus: 2,
    memoryMiB: 8192,
    cpuset: '',
    rootDiskGiB: 10,
  });
});

test("upstream's environment variables set the same values", () => {
  const settings = resolve(
    {},
    {
      LIBVIRT_URI: 'qemu:///system',
      LIBVIRT_POOL: 'pp',
      LIBVIRT_NET: 'pn',
      LIBVIRT_VOL_NAME: 'base.qcow2',
      LIBVIRT_CPU: '1',
      LIBVIRT_MEMORY: '512',
      LIBVIRT_CPUSET: '0-1,3',
      LIBVIRT_ROOT_DISK_SIZE: '0',
    },
  );
  assert.equal(settings.uri, 'qemu:///system');
  assert.equal(settings.poolName, 'pp');
  assert.equal(settings.networkName, 'pn');
  assert.equal(settings.volumeName, 'base.qcow2');
  assert.equal(settings.vcpus, 1);
  assert.equal(settings.memoryMiB, 512);
  assert.equal(settings.cpuset, '0-1,3');
  assert.equal(settings.rootDiskGiB, 10, '0 means the default, as upstream');
  // An empty variable counts as unset; BIOS boot takes the flag.
  assert.equal(settings.firmware, '/usr/share/OVMF/OVMF_CODE_4M.fd');
  assert.equal(resolve({ firmware: '' }).firmware, '');
});

test('bad values are refused with the flag and variable named', () => {
  assert.throws(() => resolve({ 'pool-name': ' ' }), /-pool-name \(LIBVIRT_POOL\) must not be empty/);
  assert.throws(() => resolve({ cpu: '0' }), /-cpu \(LIBVIRT_CPU\) must be a positive whole number, not 0/);
  assert.throws(
    () => resolve({ memory: '-5' }),
    /-memory \(LIBVIRT_MEMORY\) must be a positive whole number/,
  );
  assert.throws(() => resolve({ cpuset: '0-' }), /invalid -cpuset \(LIBVIRT_CPUSET\) "0-"/);
  assert.throws(() => resolve({ 'launch-security': 'sev' }), /only s390-pv is known/);
  assert.throws(() => resolve({ uri: 'qemu+tls://host/system' }), /the tls transport is not supported/);
  assert.throws(() => resolve({ 'root-disk-size': '-1' }), /invalid -root-disk-size/);
});
