/**
 * The two facts upstream's provider heuristics use (docs/compatibility.md §6.1), read from files so that a
 * root directory can stand in for the VM's / in tests, and each overridable outright:
 *
 * - DMI system manufacturer, what go-dmidecode's "system-manufacturer" gives upstream (SMBIOS type 1):
 *   the kernel exports it as `/sys/class/dmi/id/sys_vendor` ("Amazon EC2", "Alibaba Cloud").
 * - CPUID hypervisor vendor (leaf 0x40000000, what klauspost/cpuid reports upstream): Node cannot run
 *   CPUID, so, in order:
 *   1. `/proc/cpuinfo` has a `flags` line (x86) with `hypervisor` (CPUID.1:ECX[31]); no flags line
 *      (arm64, s390x: no CPUID, as upstream finds none) or no `hypervisor` flag → none;
 *   2. `/dev/cpu/0/cpuid` (the kernel's cpuid driver, when loaded): read 16 bytes at offset
 *      0x40000000 = the real EAX..EDX of that leaf; vendor = EBX ECX EDX;
 *   3. what the kernel decided from that same leaf: a VMBus (`/sys/bus/vmbus`) or a `hyperv`
 *      clocksource → "Microsoft Hv"; a `kvm-clock` clocksource → "KVMKVMKVM"; `/sys/hypervisor/type`
 *      "xen" → "XenVMMXenVMM";
 *   4. otherwise "(unknown)": a hypervisor, but not one that selects a provider.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { inRoot } from './paths';

export const HYPERVISOR_MICROSOFT = 'Microsoft Hv';
export const HYPERVISOR_KVM = 'KVMKVMKVM';
export const HYPERVISOR_XEN = 'XenVMMXenVMM';
export const HYPERVISOR_UNKNOWN = '(unknown)';
export const DMI_AMAZON = 'Amazon EC2';
export const DMI_ALIBABA = 'Alibaba Cloud';
export const DMI_VMWARE = 'VMware, Inc.';

const DMI_SYS_VENDOR = '/sys/class/dmi/id/sys_vendor';
const CPUINFO = '/proc/cpuinfo';
const CPUID_DEVICE = '/dev/cpu/0/cpuid';
const HYPERVISOR_LEAF = 0x4000_0000;
const VMBUS = '/sys/bus/vmbus';
const CLOCKSOURCES = '/sys/devices/system/clocksource/clocksource0/available_clocksource';
const SYS_HYPERVISOR_TYPE = '/sys/hypervisor/type';

/** Results that replace the probes; `undefined` means "probe". */
export interface ProbeOverrides {
  /** DMI system manufacturer, e.g. "Amazon EC2"; `''` means none. */
  dmiSysVendor?: string;
  /** CPUID hypervisor vendor, e.g. "Microsoft Hv", "KVMKVMKVM", or a short name (see below). */
  hypervisorVendor?: string;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  none: '',
  kvm: HYPERVISOR_KVM,
  msvm: HYPERVISOR_MICROSOFT,
  hyperv: HYPERVISOR_MICROSOFT,
  xen: HYPERVISOR_XEN,
};

/** Accepts the CPUID strings themselves or `none`, `kvm`, `msvm`/`hyperv`, `xen` (any case). */
export function normalizeHypervisorVendor(text: string): string {
  return SHORT_NAMES[text.trim().toLowerCase()] ?? text.trim();
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function probeDmiSysVendor(root: string): Promise<string> {
  return (await readText(inRoot(root, DMI_SYS_VENDOR)))?.trim() ?? '';
}

async function cpuidHypervisorLeaf(root: string): Promise<string | undefined> {
  try {
    const handle = await open(inRoot(root, CPUID_DEVICE), 'r');
    try {
      const regs = Buffer.alloc(16);
      const { bytesRead } = await handle.read(regs, 0, 16, HYPERVISOR_LEAF);
      if (bytesRead !== 16) return undefined;
      // EAX, EBX, ECX, EDX little-endian; the vendor is the bytes of EBX, ECX, EDX.
      const vendor = regs.subarray(4, 16).toString('latin1').replace(/\0+$/, '');
      return /^[\x20-\x7e]+$/.test(vendor) ? vendor : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

export async function probeHypervisorVendor(root: string): Promise<string> {
  const cpuinfo = (await readText(inRoot(root, CPUINFO))) ?? '';
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (flags === undefined || !flags.split(/\s+/).includes('hypervisor')) return '';
  const fromCpuid = await cpuidHypervisorLeaf(root);
  if (fromCpuid !== undefined) return fromCpuid;
  const clocksources = (await readText(inRoot(root, CLOCKSOURCES))) ?? '';
  if ((await exists(inRoot(root, VMBUS))) || /\bhyperv/.test(clocksources)) return HYPERVISOR_MICROSOFT;
  if (/\bkvm-clock\b/.test(clocksources)) return HYPERVISOR_KVM;
  if ((await readText(inRoot(root, SYS_HYPERVISOR_TYPE)))?.trim() === 'xen') return HYPERVISOR_XEN;
  return HYPERVISOR_UNKNOWN;
}
