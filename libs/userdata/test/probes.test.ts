import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { normalizeHypervisorVendor, probeDmiSysVendor, probeHypervisorVendor } from '../src/index';
import { putFile, removeRoot, tempRoot } from './helpers';

let root = '';
beforeEach(async () => {
  root = await tempRoot();
});
afterEach(async () => {
  await removeRoot(root);
});

const X86_GUEST =
  'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse hypervisor lahf_lm\n\n';
const X86_METAL = 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse lahf_lm\n\n';
const ARM64 = 'processor\t: 0\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n\n';

describe('DMI system manufacturer', () => {
  test('is /sys/class/dmi/id/sys_vendor, trimmed; empty when absent', async () => {
    assert.equal(await probeDmiSysVendor(root), '');
    await putFile(root, '/sys/class/dmi/id/sys_vendor', 'Amazon EC2\n');
    assert.equal(await probeDmiSysVendor(root), 'Amazon EC2');
  });
});

describe('CPUID hypervisor vendor', () => {
  test('none without the hypervisor flag (bare metal) or without CPUID at all (arm64, no cpuinfo)', async () => {
    assert.equal(await probeHypervisorVendor(root), '');
    await putFile(root, '/proc/cpuinfo', ARM64);
    await putFile(
      root,
      '/sys/devices/system/clocksource/clocksource0/available_clocksource',
      'kvm-clock arch_sys_counter\n',
    );
    assert.equal(await probeHypervisorVendor(root), '');
    await putFile(root, '/proc/cpuinfo', X86_METAL);
    assert.equal(await probeHypervisorVendor(root), '');
  });

  test('leaf 0x40000000 from /dev/cpu/0/cpuid when the driver is there', async () => {
    await putFile(root, '/proc/cpuinfo', X86_GUEST);
    await putFile(root, '/dev/cpu/0/cpuid', '');
    const handle = await open(join(root, 'dev/cpu/0/cpuid'), 'r+');
    const regs = Buffer.alloc(16);
    regs.writeUInt32LE(0x4000_000b, 0);
    regs.write('Microsoft Hv', 4, 'latin1');
    await handle.write(regs, 0, 16, 0x4000_0000); // a sparse file standing in for the device
    await handle.close();
    assert.equal(await probeHypervisorVendor(root), 'Microsoft Hv');
  });

  test("otherwise the kernel's own reading of that leaf: VMBus, hyperv or kvm-clock clocksource, xen", async () => {
    await putFile(root, '/proc/cpuinfo', X86_GUEST);
    assert.equal(await probeHypervisorVendor(root), '(unknown)');
    const clocksource = '/sys/devices/system/clocksource/clocksource0/available_clocksource';
    await putFile(root, clocksource, 'kvm-clock tsc hpet acpi_pm \n');
    assert.equal(await probeHypervisorVendor(root), 'KVMKVMKVM');
    await putFile(root, clocksource, 'hyperv_clocksource_tsc_page acpi_pm \n');
    assert.equal(await probeHypervisorVendor(root), 'Microsoft Hv');
    await putFile(root, clocksource, 'tsc\n');
    await putFile(root, '/sys/hypervisor/type', 'xen\n');
    assert.equal(await probeHypervisorVendor(root), 'XenVMMXenVMM');
  });

  test('overrides accept the CPUID strings or short names', () => {
    assert.equal(normalizeHypervisorVendor('kvm'), 'KVMKVMKVM');
    assert.equal(normalizeHypervisorVendor('HyperV'), 'Microsoft Hv');
    assert.equal(normalizeHypervisorVendor('msvm'), 'Microsoft Hv');
    assert.equal(normalizeHypervisorVendor('none'), '');
    assert.equal(normalizeHypervisorVendor('VMwareVMware'), 'VMwareVMware');
  });
});
