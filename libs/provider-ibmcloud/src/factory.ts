import { loadLazyModule } from '@peerpods/cli';
import type { ProviderFactory } from '@peerpods/providers';
import * as providers from '@peerpods/providers';
import { IBMCLOUD_OPTIONS } from './options';

type Implementation = typeof import('./implementation');

// The SDK loads here, so --help, --version and the other providers never pay for it.
const implementation = (): Promise<Implementation> =>
  loadLazyModule<Implementation>(
    'provider-ibmcloud',
    { '@peerpods/providers': providers },
    () => import('@peerpods/provider-ibmcloud/implementation'),
  );

/** `cloud-api-adaptor ibmcloud`: pod VMs as IBM Cloud VPC instances. */
export const ibmCloudProviderFactory: ProviderFactory = {
  name: 'ibmcloud',
  description: 'pod VMs as IBM Cloud VPC instances (ibm-cloud-sdk-core and our typed VPC client)',
  options: IBMCLOUD_OPTIONS,
  // The VPC API takes user_data as it is, and the pod VM reads it back the same way.
  userDataEncoding: 'raw',
  create: async (values, context) => {
    const { IbmCloudProvider, ibmCloudSettings } = await implementation();
    return IbmCloudProvider.start(ibmCloudSettings(values), context);
  },
  sweeper: async (values, context) => {
    const { IbmCloudProvider, ibmCloudSettings } = await implementation();
    return IbmCloudProvider.forSweep(ibmCloudSettings(values, { forSweep: true }), context);
  },
};
