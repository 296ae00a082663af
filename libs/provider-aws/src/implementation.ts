// The heavy half of the provider (the SDK and everything on it), loaded only when the provider
// starts: a lazily loaded chunk of the built binary (see loadLazyModule in @peerpods/cli).
export { AwsProvider } from './aws-provider';
export { awsSettings } from './settings';
