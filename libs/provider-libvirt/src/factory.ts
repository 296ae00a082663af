import type { ProviderFactory } from '@peerpods/providers';
import { LIBVIRT_OPTIONS } from './options';

// Loaded when the provider starts, so --help, --version and other providers never evaluate it.
const implementation = () => import('./implementation');

/** `cloud-api-adaptor libvirt`: pod VMs as libvirt domains. */
export const libvirtProviderFactory: ProviderFactory = {
  name: 'libvirt',
  description: "pod VMs as libvirt domains (QEMU/KVM), over libvirt's remote protocol",
  options: LIBVIRT_OPTIONS,
  // Upstream writes the user-data into a cidata ISO9660 volume; the provider builds it.
  userDataEncoding: 'cidata-iso',
  create: async (values, context) => {
    const { LibvirtProvider, libvirtSettings } = await implementation();
    return LibvirtProvider.start(libvirtSettings(values), context);
  },
  sweeper: async (values, context) => {
    const { LibvirtProvider, libvirtSettings } = await implementation();
    return LibvirtProvider.forSweep(libvirtSettings(values), context);
  },
};
