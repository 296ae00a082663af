import { UserDataError } from './errors';

// Standard alphabet with padding, as Go's base64.StdEncoding requires.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Azure and GCP serve user-data base64-encoded. Strict like Go's StdEncoding (Node's decoder would
 * skip bad characters silently), ignoring line breaks as Go does. `''` decodes to no bytes, as in Go.
 */
export function decodeBase64UserData(body: Buffer, from: string): Buffer {
  const compact = body.toString('latin1').replace(/[\r\n]/g, '');
  if (!STANDARD_BASE64.test(compact)) {
    throw new UserDataError(`failed to decode b64 encoded userData from ${from}: not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}
