// Only what the daemon needs at start-up; the SDKs and the provider load when it is created.
export { azureProviderFactory } from './factory';
export { AZURE_OPTIONS } from './options';
