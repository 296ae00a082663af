// Only what the daemon needs at start-up; the SDK and the provider load when it is created.
export { ibmCloudProviderFactory } from './factory';
export { IBMCLOUD_OPTIONS } from './options';
