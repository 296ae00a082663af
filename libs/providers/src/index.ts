// Scaffold: the provider interface and registry land with the cloud-api-adaptor issue.
export const PROVIDER_NAMES: readonly string[] = [];
