export {
  CertificateAuthority,
  type CertificateAuthorityOptions,
  type CertificateAuthorityPem,
  type IssueOptions,
} from './certificate-authority';
export { tls12CipherSuites, tls13CipherSuites } from './cipher-suites';
export { createSelfSignedClientCertificate, type SelfSignedClientOptions } from './client-certificate';
export { type CustomTlsFilePaths, type CustomTlsFiles, loadCustomTlsFiles } from './custom-files';
export { TlsConfigError } from './errors';
export type { PemPair } from './pem-pair';
export {
  type ClientTlsInput,
  clientTlsOptions,
  type PemInput,
  type ServerTlsInput,
  serverTlsOptions,
} from './tls-options';
export {
  defaultTlsProfile,
  type GoTlsVersion,
  parseTlsProfile,
  type TlsProfile,
  type TlsProfileInput,
  type TlsSettingNames,
} from './tls-profile';
