// The heavy half of the provider (the Azure SDKs and everything on them), loaded only when the
// provider starts: a lazily loaded chunk of the built binary (see loadLazyModule in @peerpods/cli).
export { AzureProvider } from './azure-provider';
export { azureSettings } from './settings';
