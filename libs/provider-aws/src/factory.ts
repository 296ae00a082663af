import { loadLazyModule } from '@peerpods/cli';
import type { ProviderFactory } from '@peerpods/providers';
import * as providers from '@peerpods/providers';
import { AWS_OPTIONS } from './options';

type Implementation = typeof import('./implementation');

// The SDK loads here, so --help, --version and the other providers never pay for it.
const implementation = (): Promise<Implementation> =>
  loadLazyModule<Implementation>(
    'provider-aws',
    { '@peerpods/providers': providers },
    () => import('@peerpods/provider-aws/implementation'),
  );

/** `cloud-api-adaptor aws`: pod VMs as EC2 instances. */
export const awsProviderFactory: ProviderFactory = {
  name: 'aws',
  description: 'pod VMs as Amazon EC2 instances (@aws-sdk/client-ec2)',
  options: AWS_OPTIONS,
  // EC2 wants RunInstances' UserData in base64.
  userDataEncoding: 'base64',
  create: async (values, context) => {
    const { AwsProvider, awsSettings } = await implementation();
    return AwsProvider.start(awsSettings(values), context);
  },
  sweeper: async (values, context) => {
    const { AwsProvider, awsSettings } = await implementation();
    return AwsProvider.forSweep(awsSettings(values), context);
  },
};
