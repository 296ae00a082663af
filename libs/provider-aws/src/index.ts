// Only what the daemon needs at start-up; the SDK and the provider load when it is created.
export { awsProviderFactory } from './factory';
export { AWS_OPTIONS } from './options';
