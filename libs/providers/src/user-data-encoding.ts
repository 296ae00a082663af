/**
 * How the `#cloud-config` text travels to the VM. Upstream: AWS, Azure, GCP, Alibaba and PowerVS
 * want base64; IBM Cloud VPC takes it raw; libvirt writes a `cidata` ISO (docs/compatibility.md §2.5).
 */
export type UserDataEncoding = 'base64' | 'raw' | 'cidata-iso';

/** Azure's `userData` limit, counted on the base64 text. */
export const AZURE_USER_DATA_MAX_BASE64_BYTES = 64 * 1024;

/** The user-data as the cloud API takes it: base64 of the UTF-8 bytes, or the text unchanged. */
export function encodeUserData(userData: string, encoding: UserDataEncoding): string {
  switch (encoding) {
    case 'base64':
      return Buffer.from(userData, 'utf8').toString('base64');
    case 'raw':
      return userData;
    case 'cidata-iso':
      // Not text: the libvirt provider writes it into an ISO 9660 volume (cidataIso, @peerpods/iso9660).
      throw new Error(
        'cidata-iso user-data is a disk image, not text: the provider builds it with cidataIso',
      );
  }
}

/** Throws when base64 user-data is over Azure's 64 KiB limit, before the API rejects it less clearly. */
export function checkAzureUserDataSize(base64UserData: string): void {
  const size = Buffer.byteLength(base64UserData, 'utf8');
  if (size > AZURE_USER_DATA_MAX_BASE64_BYTES) {
    throw new Error(
      `user data is ${size} bytes base64-encoded, over Azure's limit of ${AZURE_USER_DATA_MAX_BASE64_BYTES}`,
    );
  }
}
