export {
  GPU_MODEL_ANNOTATION,
  GPUS_ANNOTATION,
  IMAGE_ANNOTATION,
  INITDATA_ANNOTATION,
  MACHINE_TYPE_ANNOTATION,
  MEMORY_ANNOTATION,
  parseSandboxAnnotations,
  podNameFromSandboxName,
  SANDBOX_NAME_ANNOTATION,
  SANDBOX_NAMESPACE_ANNOTATION,
  SANDBOX_UID_ANNOTATION,
  type SandboxAnnotations,
  VCPUS_ANNOTATION,
} from './annotations';
export {
  type ApiCallReading,
  type AttemptTally,
  type CloudApiCall,
  type CloudApiObserver,
  observeApiCall,
} from './api-calls';
export {
  type Instance,
  InstanceCreationError,
  type InstanceTypeSpec,
  type PartialInstance,
} from './instance';
export { instanceName } from './instance-name';
export {
  type InstanceTypeBasis,
  type InstanceTypeCatalog,
  type InstanceTypeInfo,
  type InstanceTypeSelection,
  selectInstanceType,
  sortInstanceTypes,
} from './instance-type';
export {
  isOwnedBy,
  nodeNameFrom,
  OWNER_TAG_CLUSTER,
  OWNER_TAG_NODE,
  OWNER_TAG_SANDBOX,
  type OwnedInstance,
  type Owner,
  ownershipTags,
  parseTags,
} from './ownership';
export type { CreateInstanceRequest, Provider, ProviderContext, ProviderFactory, Sweeper } from './provider';
export { ProviderRegistry } from './registry';
export { cloudConfig, type UserDataFile } from './user-data';
export {
  AZURE_USER_DATA_MAX_BASE64_BYTES,
  checkAzureUserDataSize,
  encodeUserData,
  type UserDataEncoding,
} from './user-data-encoding';
