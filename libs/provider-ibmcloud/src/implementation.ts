// The heavy half of the provider (ibm-cloud-sdk-core and axios under it), loaded only when the
// provider starts: a lazily loaded chunk of the built binary (see loadLazyModule in @peerpods/cli).
export { IbmCloudProvider } from './ibmcloud-provider';
export { ibmCloudSettings } from './settings';
