/**
 * Where each cloud serves user-data (docs/compatibility.md §6.2). Only the base URL (scheme, host, port) is
 * configurable; the paths and query strings are the services' own.
 */
export interface MetadataEndpoints {
  azure: string;
  aws: string;
  gcp: string;
  alibaba: string;
}

export const DEFAULT_ENDPOINTS: Readonly<MetadataEndpoints> = {
  azure: 'http://169.254.169.254',
  aws: 'http://169.254.169.254',
  gcp: 'http://metadata.google.internal',
  alibaba: 'http://100.100.100.200',
};

export const AZURE_USER_DATA_PATH = '/metadata/instance/compute/userData?api-version=2021-01-01&format=text';
export const AWS_TOKEN_PATH = '/latest/api/token';
export const AWS_USER_DATA_PATH = '/latest/user-data';
export const GCP_INSTANCE_PATH = '/computeMetadata/v1/instance';
export const GCP_USER_DATA_PATH = '/computeMetadata/v1/instance/attributes/user-data';
export const ALIBABA_USER_DATA_PATH = '/latest/user-data';

/** `base` (with or without a trailing slash) + an absolute path. */
export function endpointUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
