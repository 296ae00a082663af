export { MAX_USER_DATA_BYTES } from './bounded-read';
export { type CloudConfig, parseCloudConfig, type WriteFile } from './cloud-config';
export { detectSource } from './detect';
export { DEFAULT_ENDPOINTS, type MetadataEndpoints } from './endpoints';
export {
  CloudConfigError,
  PermanentUserDataError,
  UserDataError,
  UserDataTimeoutError,
} from './errors';
export { FileBatch } from './file-batch';
export {
  INITDATA_DIGEST_PATH,
  INITDATA_FILES_ALLOWED,
  INITDATA_PATH,
  PEERPOD_DIR,
  USER_DATA_PATH,
  WRITE_FILES_ALLOWED,
} from './paths';
export {
  DMI_ALIBABA,
  DMI_AMAZON,
  HYPERVISOR_KVM,
  HYPERVISOR_MICROSOFT,
  normalizeHypervisorVendor,
  type ProbeOverrides,
  probeDmiSysVendor,
  probeHypervisorVendor,
} from './probes';
export {
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_RETRY_INTERVAL_MS,
  type InitdataOrigin,
  type ProvisionOptions,
  type ProvisionResult,
  provisionFiles,
} from './provision';
export type { UserDataSource } from './source';
