import { ALIBABA_USER_DATA_PATH, endpointUrl } from '../endpoints';
import { metadataRequest } from '../http-get';
import { tooLargeAsUserData, type UserDataSource } from '../source';

/** Alibaba Cloud's metadata service: no header needed, the body is the user-data itself. */
export function alibabaSource(base: string, maxBytes: number): UserDataSource {
  const url = endpointUrl(base, ALIBABA_USER_DATA_PATH);
  return {
    name: 'AlibabaCloud',
    location: url,
    kind: 'url',
    fetch: (signal) =>
      metadataRequest(url, { signal, maxBytes }).catch((error: unknown) => {
        throw tooLargeAsUserData(error, url, maxBytes);
      }),
  };
}
