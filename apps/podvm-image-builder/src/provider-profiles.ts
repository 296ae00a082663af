/**
 * What differs per cloud in a pod VM image: the disk format the cloud's image service takes, the
 * console it shows, and where the VM reads its user-data from.
 */

export const PROVIDERS = ['libvirt', 'aws', 'azure', 'ibmcloud', 'vsphere'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const FORMATS = ['qcow2', 'raw', 'vhd', 'vmdk'] as const;
export type DiskFormat = (typeof FORMATS)[number];

export interface ProviderProfile {
  format: DiskFormat;
  /** Kernel console arguments. */
  console: string;
  /** How the VM gets its user-data; `cidata` adds the unit drop-in that mounts the seed disk. */
  metadata: 'cidata' | 'imds' | 'pending';
  /** One line for --help. */
  summary: string;
}

export const PROVIDER_PROFILES: Readonly<Record<ProviderName, ProviderProfile>> = {
  libvirt: {
    format: 'qcow2',
    console: 'console=ttyS0',
    metadata: 'cidata',
    summary: 'qcow2, serial console, user-data from the cidata disk',
  },
  aws: {
    format: 'raw',
    console: 'console=ttyS0',
    metadata: 'imds',
    summary: 'raw (for EC2 import-image), serial console, user-data from IMDSv2',
  },
  azure: {
    format: 'vhd',
    // Azure's serial console is ttyS0; its docs ask for a long root delay on Hyper-V storage.
    console: 'console=ttyS0 earlyprintk=ttyS0 rootdelay=300',
    metadata: 'imds',
    summary: 'fixed VHD, serial console, user-data from Azure IMDS',
  },
  ibmcloud: {
    format: 'qcow2',
    console: 'console=ttyS0',
    metadata: 'pending',
    summary: 'qcow2, serial console; reading IBM Cloud user-data lands with the ibmcloud provider',
  },
  vsphere: {
    format: 'vmdk',
    console: 'console=tty0 console=ttyS0',
    metadata: 'pending',
    summary: 'stream-optimized VMDK; reading guestinfo user-data lands with the vsphere provider',
  },
};

/** qemu-img's output format and options for a disk format. */
export function qemuImgTarget(format: DiskFormat): { format: string; options: string[] } {
  switch (format) {
    case 'qcow2':
      return { format: 'qcow2', options: [] };
    case 'raw':
      return { format: 'raw', options: [] };
    case 'vhd':
      // Azure takes only fixed VHDs whose size is exactly what the header says.
      return { format: 'vpc', options: ['-o', 'subformat=fixed,force_size=on'] };
    case 'vmdk':
      return { format: 'vmdk', options: ['-o', 'subformat=streamOptimized'] };
  }
}
