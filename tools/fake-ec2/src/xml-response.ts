import { XMLBuilder } from 'fast-xml-parser';
import type { Ec2Error } from './ec2-error';

// The namespace of the API version the SDK speaks (its requests carry Version=2016-11-15).
const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, processEntities: true });

/** A value in a response: arrays become EC2's `<item>` lists; `undefined` members are left out. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

function shape(value: XmlValue): unknown {
  if (Array.isArray(value)) return { item: value.map(shape) };
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = shape(member);
    return out;
  }
  return value;
}

/** `<ActionResponse xmlns=...><requestId>…</requestId>…</ActionResponse>`. */
export function xmlResponse(action: string, requestId: string, body: Record<string, XmlValue>): string {
  const root = { '@_xmlns': NAMESPACE, requestId, ...(shape(body) as object) };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [`${action}Response`]: root })}`;
}

/** EC2's error document: `<Response><Errors><Error><Code>…` plus the request id. */
export function xmlError(error: Ec2Error, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({
    Response: { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId },
  })}`;
}
