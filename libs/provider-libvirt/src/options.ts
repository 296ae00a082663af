import type { OptionSpec } from '@peerpods/config';

/** The libvirt provider's flags and environment variables: upstream's names and defaults (docs/compatibility.md §1.1). */
export const LIBVIRT_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'uri',
    env: 'LIBVIRT_URI',
    type: 'string',
    default: 'qemu+ssh://root@192.168.122.1/system?no_verify=1',
    description:
      'libvirt connection URI (qemu:///system, qemu+unix:///system?socket=PATH, qemu+ssh://user@host/system)',
  },
  {
    flag: 'pool-name',
    env: 'LIBVIRT_POOL',
    type: 'string',
    default: 'default',
    description: 'storage pool of the pod VM volumes',
  },
  {
    flag: 'network-name',
    env: 'LIBVIRT_NET',
    type: 'string',
    default: 'default',
    description: 'libvirt network the pod VMs join (its DHCP gives their IPs)',
  },
  {
    flag: 'vol-name',
    env: 'LIBVIRT_VOL_NAME',
    type: 'string',
    default: 'podvm-base.qcow2',
    description:
      "base volume (the pod VM image) each VM's root disk is backed by; the image annotation overrides it",
  },
  {
    flag: 'launch-security',
    env: 'LIBVIRT_LAUNCH_SECURITY',
    type: 'string',
    default: '',
    description: 'launch security: empty (none), or s390-pv on s390x hosts',
  },
  {
    flag: 'firmware',
    env: 'LIBVIRT_EFI_FIRMWARE',
    type: 'string',
    default: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    description:
      'UEFI firmware (pflash) on the libvirt host; empty: BIOS boot, which images from podvm-image-builder need',
  },
  {
    flag: 'cpu',
    env: 'LIBVIRT_CPU',
    type: 'int',
    default: 2,
    description: 'vCPUs of a pod VM without a vCPU annotation',
  },
  {
    flag: 'memory',
    env: 'LIBVIRT_MEMORY',
    type: 'int',
    default: 8192,
    description: 'MiB of a pod VM without a memory annotation',
  },
  {
    flag: 'cpuset',
    env: 'LIBVIRT_CPUSET',
    type: 'string',
    default: '',
    description: 'host CPUs the vCPUs may run on, such as 0-3,8 (empty: any)',
  },
  {
    flag: 'root-disk-size',
    env: 'LIBVIRT_ROOT_DISK_SIZE',
    type: 'int',
    default: 10,
    description: 'root disk GiB (0: 10); never smaller than the base volume',
  },
  {
    flag: 'data-dir',
    type: 'string',
    default: '/var/lib/libvirt/images',
    description:
      "upstream's directory for cloud-init ISOs; accepted for compatibility, unused (the ISO is uploaded over the connection)",
  },
];
