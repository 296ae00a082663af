import { dirname, join } from 'node:path';
import { isSea } from 'node:sea';
import type { OptionValues } from '@peerpods/config';
import type { PodVmBinaries } from '@peerpods/pod-vm-host';
import type { ProviderFactory } from '@peerpods/providers';
import { LOCAL_OPTIONS } from './options';

/** `cloud-api-adaptor local`: the embedded default, pod VMs as network namespaces on this machine. */
export const localProviderFactory: ProviderFactory = {
  name: 'local',
  description:
    'pod VMs as network namespaces on this machine, running the real pod-VM programs (no cloud account; for demos, development and end-to-end tests)',
  options: LOCAL_OPTIONS,
  // The user-data lands as a cidata file, read as is.
  userDataEncoding: 'raw',
  // Loaded on create, so the daemon's --help and --version never pay for the provider's modules.
  create: async (values, context) => {
    const [{ LocalProvider }, { parseIpv4Subnet }] = await Promise.all([
      import('./local-provider'),
      import('@peerpods/netops'),
    ]);
    return LocalProvider.start({
      subnet: parseIpv4Subnet(text(values, 'local-subnet')),
      bridge: bridgeName(text(values, 'local-bridge')),
      stateDir: text(values, 'local-state-dir'),
      binaries: resolveBinaries(values),
      log: context.log,
    });
  },
};

function text(values: OptionValues, flag: string): string {
  const value = values[flag];
  return typeof value === 'string' ? value : '';
}

function bridgeName(name: string): string {
  // Linux interface names: at most 15 bytes, no slash or whitespace.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new Error(`invalid -local-bridge ${JSON.stringify(name)}: 1 to 15 of A-Z a-z 0-9 _ . -`);
  }
  return name;
}

function resolveBinaries(values: OptionValues): PodVmBinaries {
  let binDir = text(values, 'local-bin-dir');
  if (binDir === '') {
    // The built binaries ship side by side; anything else (tests, tsx) names the directory.
    if (!isSea())
      throw new Error('-local-bin-dir is required when cloud-api-adaptor is not the built binary');
    binDir = dirname(process.execPath);
  }
  return {
    processUserData: join(binDir, 'process-user-data'),
    forwarder: join(binDir, 'agent-protocol-forwarder'),
    agent: text(values, 'agent-binary') || join(binDir, 'dev-agent'),
  };
}
