import type { XdrReader } from './xdr';

/** virErrorNumber values this client's callers test for (libvirt's virerror.h). */
export const ErrorCode = {
  InternalError: 1,
  OperationFailed: 9,
  DomainExists: 28,
  NetworkExists: 37,
  Rpc: 39,
  NoDomain: 42,
  NoNetwork: 43,
  NoStoragePool: 49,
  NoStorageVol: 50,
  OperationInvalid: 55,
  NoDomainMetadata: 80,
  StorageVolExists: 90,
} as const;

/** An error the daemon reported (`remote_error`): its code, the subsystem it came from, and its text. */
export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';

  constructor(
    message: string,
    readonly code: number,
    readonly domain: number,
    readonly procedure: string,
  ) {
    super(message);
  }
}

/** The connection to the daemon failed or closed; every call in flight fails with it. */
export class LibvirtConnectionError extends Error {
  override readonly name = 'LibvirtConnectionError';
}

const STRING_MAX = 4 * 1024 * 1024;

function skipOptionalDomainOrNetwork(reader: XdrReader, withId: boolean): void {
  if (!reader.bool()) return;
  reader.string(STRING_MAX);
  reader.fixedOpaque(16);
  if (withId) reader.int();
}

/** Reads `remote_error` from an error reply's body. */
export function readRemoteError(reader: XdrReader, procedure: string): LibvirtError {
  const code = reader.int();
  const domain = reader.int();
  const message = reader.optionalString(STRING_MAX, 'error message');
  reader.int(); // level
  skipOptionalDomainOrNetwork(reader, true);
  reader.optionalString(STRING_MAX);
  reader.optionalString(STRING_MAX);
  reader.optionalString(STRING_MAX);
  reader.int();
  reader.int();
  skipOptionalDomainOrNetwork(reader, false);
  return new LibvirtError(message ?? `libvirt error ${code}`, code, domain, procedure);
}
