import { XMLParser } from 'fast-xml-parser';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text for an XML element or attribute. */
export function xmlText(value: string | number | boolean): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A managed object reference: `<name type="VirtualMachine">vm-57</name>`. */
export interface MoRef {
  type: string;
  value: string;
}

export function moRef(name: string, ref: MoRef): string {
  return `<${name} type="${xmlText(ref.type)}">${xmlText(ref.value)}</${name}>`;
}

/** One vim25 call as govmomi sends it: a SOAP 1.1 envelope, the method in the urn:vim25 namespace. */
export function envelope(method: string, self: MoRef, body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${moRef('_this', self)}${body}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

// Lists wherever vim25 may repeat an element; a single one must still parse as a list.
const LISTS = new Set([
  'objects',
  'propSet',
  'OptionValue',
  'ManagedObjectReference',
  'missingSet',
  'extraConfig',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: false,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => LISTS.has(localName(name)),
});

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Parsed XML with namespace prefixes dropped from element names (attributes keep theirs). */
export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

function stripElementPrefixes(value: unknown): XmlValue {
  if (Array.isArray(value)) return value.map(stripElementPrefixes);
  if (value === null || typeof value !== 'object') return String(value ?? '');
  const out: XmlNode = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    out[key.startsWith('@') ? key : localName(key)] = stripElementPrefixes(child);
  }
  return out;
}

export function parseXml(text: string): XmlNode {
  return stripElementPrefixes(parser.parse(text)) as XmlNode;
}

/** An element's text, whether it came with attributes or not. */
export function textOf(value: XmlValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return textOf(value[0]);
  return typeof value['#text'] === 'string' ? value['#text'] : '';
}

/**
 * The xsi:type of an element. Servers spell the prefix differently (vcsim writes
 * `XMLSchema-instance:type`), so any namespaced `type` attribute counts.
 */
export function xsiType(value: XmlValue | undefined): string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '';
  const key = Object.keys(value).find((name) => name.startsWith('@') && name.endsWith(':type'));
  return key ? textOf(value[key]) : '';
}

/** A MoRef read back: text and the plain `type` attribute. */
export function moRefOf(value: XmlValue | undefined): MoRef | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const type = value['@type'];
  const text = textOf(value);
  return typeof type === 'string' && text ? { type, value: text } : undefined;
}

/** The element as an object of its children and attributes; `{}` for text, a list or nothing. */
export function asNode(value: XmlValue | undefined): XmlNode {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

export function child(value: XmlValue | undefined, name: string): XmlValue | undefined {
  return asNode(value)[name];
}

/** extraConfig (an ArrayOfOptionValue) as a record of its keys and values. */
export function optionValues(value: XmlValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const option of list(child(value, 'OptionValue')))
    out[textOf(child(option, 'key'))] = textOf(child(option, 'value'));
  return out;
}

export function list(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}
