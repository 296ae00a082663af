export { cidataIso } from './cidata';
export { buildIso, type IsoFile, type IsoOptions } from './image';
