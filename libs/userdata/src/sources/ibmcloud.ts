import { endpointUrl, IBMCLOUD_INITIALIZATION_PATH, IBMCLOUD_TOKEN_PATH } from '../endpoints';
import { PermanentUserDataError } from '../errors';
import { metadataRequest } from '../http-get';
import { tooLargeAsUserData, type UserDataSource, userDataTooLarge } from '../source';

export const IBMCLOUD_TOKEN_TTL_SECONDS = 300;

/** An instance identity token: `PUT /instance_identity/v1/token` with `Metadata-Flavor: ibm`. */
async function identityToken(base: string, signal: AbortSignal): Promise<string> {
  const url = endpointUrl(base, IBMCLOUD_TOKEN_PATH);
  const body = await metadataRequest(url, {
    method: 'PUT',
    headers: { 'Metadata-Flavor': 'ibm', 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ expires_in: IBMCLOUD_TOKEN_TTL_SECONDS }),
    signal,
    maxBytes: 64 * 1024,
  });
  const token = (JSON.parse(body.toString('utf8')) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string' || token === '') throw new Error(`${url} returned no access_token`);
  return token;
}

/**
 * IBM Cloud VPC's instance metadata service, which the provider enables on every pod VM. Upstream's
 * pod VMs leave it to cloud-init's IBMCloud datasource; ours read it the same way: an instance
 * identity token, then `GET /metadata/v1/instance/initialization` with it, whose `user_data` is the
 * user-data exactly as the provider passed it (raw, not base64). A fresh token per attempt.
 */
export function ibmCloudSource(base: string, maxBytes: number): UserDataSource {
  const url = endpointUrl(base, IBMCLOUD_INITIALIZATION_PATH);
  return {
    name: 'IBMCloud',
    location: url,
    kind: 'url',
    async fetch(signal) {
      const token = await identityToken(base, signal);
      // The JSON wraps the user-data with the instance's keys: room for both.
      const body = await metadataRequest(url, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
        signal,
        maxBytes: maxBytes * 2 + 64 * 1024,
      }).catch((error: unknown) => {
        throw tooLargeAsUserData(error, url, maxBytes);
      });
      const userData = (JSON.parse(body.toString('utf8')) as { user_data?: unknown }).user_data;
      if (typeof userData !== 'string') {
        throw new PermanentUserDataError(`${url} returned no user_data: the instance was created without it`);
      }
      const bytes = Buffer.from(userData, 'utf8');
      if (bytes.length > maxBytes) throw userDataTooLarge(url, maxBytes);
      return bytes;
    },
  };
}

/** The detection probe: does the metadata service hand out an IBM instance identity token? */
export async function ibmCloudMetadataAnswers(base: string, signal: AbortSignal): Promise<boolean> {
  try {
    await identityToken(base, signal);
    return true;
  } catch {
    return false;
  }
}
