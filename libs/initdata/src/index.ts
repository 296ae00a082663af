export {
  type DecodeOptions,
  decodeInitdata,
  INITDATA_ALGORITHMS,
  type Initdata,
  type InitdataAlgorithm,
  MAX_INITDATA_BYTES,
} from './decode';
export { DEFAULT_INITDATA, DEFAULT_INITDATA_TOML } from './default-initdata';
export { encodeInitdataAnnotation } from './encode';
export { InitdataError } from './initdata-error';
export { validateGlobalInitdata } from './validate-global';
