export {
  AddressSource,
  type Domain,
  DomainState,
  DomainXmlFlags,
  formatUuid,
  type InterfaceAddresses,
  isLibvirtError,
  LibvirtClient,
  type Network,
  parseUuid,
  type RpcCallObserver,
  type StoragePool,
  type StorageVolume,
  UndefineFlags,
} from './client';
export { ErrorCode, LibvirtConnectionError, LibvirtError } from './errors';
export { type ParsedUri, parseLibvirtUri, SYSTEM_SOCKET, sshArguments, type Transport } from './uri';
