export { BareQemu, type BareQemuOptions } from './bare-qemu';
export { apfSeed, apfTlsFields, USER_NETWORK_POD } from './seed';
