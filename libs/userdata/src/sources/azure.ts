import { AZURE_USER_DATA_PATH, endpointUrl } from '../endpoints';
import type { UserDataSource } from '../source';
import { fetchBase64UserData } from './base64-metadata';

/** Azure IMDS: the `Metadata: true` header is mandatory (IMDS answers 400 without it); base64 body. */
export function azureSource(base: string, maxBytes: number): UserDataSource {
  const url = endpointUrl(base, AZURE_USER_DATA_PATH);
  return {
    name: 'Azure',
    location: url,
    kind: 'url',
    fetch: (signal) => fetchBase64UserData(url, { Metadata: 'true' }, signal, maxBytes),
  };
}
