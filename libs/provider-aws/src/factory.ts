import type { ProviderFactory } from '@peerpods/providers';
import { AWS_OPTIONS } from './options';

/** `cloud-api-adaptor aws`: pod VMs as EC2 instances. */
export const awsProviderFactory: ProviderFactory = {
  name: 'aws',
  description: 'pod VMs as Amazon EC2 instances (@aws-sdk/client-ec2)',
  options: AWS_OPTIONS,
  // EC2 wants RunInstances' UserData in base64.
  userDataEncoding: 'base64',
  // The SDK is loaded here, so --help, --version and the other providers never pay for it.
  create: async (values, context) => {
    const [{ AwsProvider }, { awsSettings }] = await Promise.all([
      import('./aws-provider'),
      import('./settings'),
    ]);
    return AwsProvider.start(awsSettings(values), context);
  },
  sweeper: async (values, context) => {
    const [{ AwsProvider }, { awsSettings }] = await Promise.all([
      import('./aws-provider'),
      import('./settings'),
    ]);
    return AwsProvider.forSweep(awsSettings(values), context);
  },
};
