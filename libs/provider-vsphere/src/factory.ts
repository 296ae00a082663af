import { loadLazyModule } from '@peerpods/cli';
import type { ProviderFactory } from '@peerpods/providers';
import * as providers from '@peerpods/providers';
import { VSPHERE_OPTIONS } from './options';

type Implementation = typeof import('./implementation');

const implementation = (): Promise<Implementation> =>
  loadLazyModule<Implementation>(
    'provider-vsphere',
    { '@peerpods/providers': providers },
    () => import('@peerpods/provider-vsphere/implementation'),
  );

/** `cloud-api-adaptor vsphere`: pod VMs cloned from a vSphere template. */
export const vsphereProviderFactory: ProviderFactory = {
  name: 'vsphere',
  description: 'pod VMs cloned from a vSphere template (vim25 SOAP, spoken directly)',
  options: VSPHERE_OPTIONS,
  // Raw here: the provider base64-encodes it into guestinfo.userdata itself, with its encoding key.
  userDataEncoding: 'raw',
  create: async (values, context) => {
    const { VsphereProvider, vsphereSettings } = await implementation();
    return VsphereProvider.start(vsphereSettings(values), context);
  },
  sweeper: async (values, context) => {
    const { VsphereProvider, vsphereSettings } = await implementation();
    return VsphereProvider.forSweep(vsphereSettings(values, { forSweep: true }), context);
  },
};
