import { endpointUrl, GCP_INSTANCE_PATH, GCP_USER_DATA_PATH } from '../endpoints';
import { metadataRequest } from '../http-get';
import type { UserDataSource } from '../source';
import { fetchBase64UserData } from './base64-metadata';

const FLAVOR = { 'Metadata-Flavor': 'Google' } as const;

/**
 * GCP's metadata server: `Metadata-Flavor: Google` is mandatory (403 without it). The daemon stores
 * user-data base64-encoded in the `user-data` attribute (with `user-data-encoding: base64`).
 */
export function gcpSource(base: string, maxBytes: number): UserDataSource {
  const url = endpointUrl(base, GCP_USER_DATA_PATH);
  return {
    name: 'GCP',
    location: url,
    kind: 'url',
    fetch: (signal) => fetchBase64UserData(url, FLAVOR, signal, maxBytes),
  };
}

/** The detection probe: does `…/computeMetadata/v1/instance` answer 200 to a Google-flavoured GET? */
export async function gcpMetadataAnswers(base: string, signal: AbortSignal): Promise<boolean> {
  try {
    await metadataRequest(endpointUrl(base, GCP_INSTANCE_PATH), {
      headers: FLAVOR,
      signal,
      maxBytes: 1024 * 1024,
    });
    return true;
  } catch {
    return false;
  }
}
