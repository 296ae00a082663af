export { BareQemu, type BareQemuOptions } from './bare-qemu';
export {
  extractRootFilesystem,
  manifestDifferences,
  ROOT_PARTITION_OFFSET,
  treeManifest,
} from './image-files';
export { apfSeed, apfTlsFields, USER_NETWORK_POD } from './seed';
