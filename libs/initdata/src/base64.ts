import { InitdataError } from './initdata-error';

// Standard alphabet with padding, as Go's base64.StdEncoding requires.
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict base64: Node's decoder silently skips bad characters, so the text is checked first. Line
 * breaks are dropped as Go's decoder drops them; they also arrive when initdata passes through a
 * `#cloud-config` block scalar, which ends the value with "\n".
 */
export function decodeBase64(text: string): Buffer {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact === '') throw new InitdataError('initdata is empty');
  if (!STANDARD_BASE64.test(compact)) throw new InitdataError('initdata is not valid base64');
  return Buffer.from(compact, 'base64');
}
