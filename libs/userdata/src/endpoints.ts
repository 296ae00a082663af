/**
 * Where each cloud serves user-data (docs/compatibility.md §6.2). Only the base URL (scheme, host, port) is
 * configurable; the paths and query strings are the services' own.
 */
export interface MetadataEndpoints {
  azure: string;
  aws: string;
  gcp: string;
  alibaba: string;
  ibmcloud: string;
}

export const DEFAULT_ENDPOINTS: Readonly<MetadataEndpoints> = {
  azure: 'http://169.254.169.254',
  aws: 'http://169.254.169.254',
  gcp: 'http://metadata.google.internal',
  alibaba: 'http://100.100.100.200',
  ibmcloud: 'http://169.254.169.254',
};

export const AZURE_USER_DATA_PATH = '/metadata/instance/compute/userData?api-version=2021-01-01&format=text';
export const AWS_TOKEN_PATH = '/latest/api/token';
export const AWS_USER_DATA_PATH = '/latest/user-data';
export const GCP_INSTANCE_PATH = '/computeMetadata/v1/instance';
export const GCP_USER_DATA_PATH = '/computeMetadata/v1/instance/attributes/user-data';
export const ALIBABA_USER_DATA_PATH = '/latest/user-data';
// 2022-03-01 is the oldest version with instance identity tokens; from 2025-08-26 the token path is
// /identity/v1/token, so the version stays pinned with the paths.
export const IBMCLOUD_TOKEN_PATH = '/instance_identity/v1/token?version=2022-03-01';
export const IBMCLOUD_INITIALIZATION_PATH = '/metadata/v1/instance/initialization?version=2022-03-01';

/** `base` (with or without a trailing slash) + an absolute path. */
export function endpointUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
