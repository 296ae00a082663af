import { xmlEscape } from './xml-escape';

/** A qcow2 root volume whose reads fall through to the base image until written. */
export function rootVolumeXml(
  name: string,
  capacityBytes: bigint,
  basePath: string,
  baseFormat: string,
): string {
  return (
    `<volume><name>${xmlEscape(name)}</name><capacity unit='bytes'>${capacityBytes}</capacity>` +
    "<target><format type='qcow2'/></target>" +
    `<backingStore><path>${xmlEscape(basePath)}</path><format type='${xmlEscape(baseFormat)}'/></backingStore></volume>`
  );
}

/** A raw volume for the cidata ISO, uploaded after creation. */
export function rawVolumeXml(name: string, capacityBytes: number): string {
  return `<volume><name>${xmlEscape(name)}</name><capacity unit='bytes'>${capacityBytes}</capacity><target><format type='raw'/></target></volume>`;
}
