// The defaults that a CLI shows in --help, in a module with no dependencies, so that showing them
// does not load the provisioning code (subpath export `@peerpods/userdata/defaults`).
export { DEFAULT_ENDPOINTS, type MetadataEndpoints } from './endpoints';

export const DEFAULT_FETCH_TIMEOUT_MS = 180_000;
export const DEFAULT_RETRY_INTERVAL_MS = 5_000;
