import { decodeBase64UserData } from '../base64';
import { AZURE_USER_DATA_PATH, endpointUrl } from '../endpoints';
import { metadataRequest } from '../http-get';
import { base64BodyLimit, tooLargeAsUserData, type UserDataSource, userDataTooLarge } from '../source';

/** Azure IMDS: the `Metadata: true` header is mandatory (IMDS answers 400 without it); base64 body. */
export function azureSource(base: string, maxBytes: number): UserDataSource {
  const url = endpointUrl(base, AZURE_USER_DATA_PATH);
  return {
    name: 'Azure',
    location: url,
    kind: 'url',
    async fetch(signal) {
      const body = await metadataRequest(url, {
        headers: { Metadata: 'true' },
        signal,
        maxBytes: base64BodyLimit(maxBytes),
      }).catch((error: unknown) => {
        throw tooLargeAsUserData(error, url, maxBytes);
      });
      const userData = decodeBase64UserData(body, url);
      if (userData.length > maxBytes) throw userDataTooLarge(url, maxBytes);
      return userData;
    },
  };
}
