import { decodeBase64UserData } from '../base64';
import { metadataRequest } from '../http-get';
import { base64BodyLimit, tooLargeAsUserData, userDataTooLarge } from '../source';

/** One GET of a metadata service that serves user-data base64-encoded (Azure, GCP), with the size limits. */
export async function fetchBase64UserData(
  url: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
  maxBytes: number,
): Promise<Buffer> {
  const body = await metadataRequest(url, { headers, signal, maxBytes: base64BodyLimit(maxBytes) }).catch(
    (error: unknown) => {
      throw tooLargeAsUserData(error, url, maxBytes);
    },
  );
  const userData = decodeBase64UserData(body, url);
  if (userData.length > maxBytes) throw userDataTooLarge(url, maxBytes);
  return userData;
}
