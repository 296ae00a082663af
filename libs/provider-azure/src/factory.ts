import { loadLazyModule } from '@peerpods/cli';
import type { ProviderFactory } from '@peerpods/providers';
import * as providers from '@peerpods/providers';
import { AZURE_OPTIONS } from './options';

type Implementation = typeof import('./implementation');

// The SDKs load here, so --help, --version and the other providers never pay for them.
const implementation = (): Promise<Implementation> =>
  loadLazyModule<Implementation>(
    'provider-azure',
    { '@peerpods/providers': providers },
    () => import('@peerpods/provider-azure/implementation'),
  );

/** `cloud-api-adaptor azure`: pod VMs as Azure virtual machines. */
export const azureProviderFactory: ProviderFactory = {
  name: 'azure',
  description: 'pod VMs as Azure virtual machines (@azure/arm-compute, @azure/arm-network, @azure/identity)',
  options: AZURE_OPTIONS,
  // ARM wants userData in base64, at most 64 KiB of it.
  userDataEncoding: 'base64',
  create: async (values, context) => {
    const { AzureProvider, azureSettings } = await implementation();
    return AzureProvider.start(azureSettings(values), context);
  },
  sweeper: async (values, context) => {
    const { AzureProvider, azureSettings } = await implementation();
    return AzureProvider.forSweep(azureSettings(values, { forSweep: true }), context);
  },
};
