export type { CallOptions, CancellationSource } from './call-options';
export { ClientStream, type StreamKind, TtrpcClient } from './client';
export { Code, codeName } from './codes';
export { Deadline } from './deadline';
export {
  decodeRequest,
  decodeResponse,
  encodeDataFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  OversizeError,
  type RequestEnvelope,
  type ResponseEnvelope,
  type Status,
} from './envelope';
export { closedError, TtrpcError, toStatus } from './errors';
export { type Frame, FrameReader, type FrameSink, type OversizeFrame } from './frame-reader';
export { type Metadata, type MetadataEntry, metadataFromRecord, metadataValues } from './metadata';
export {
  type ForwardInterceptor,
  type ForwardNext,
  type ForwardOptions,
  forwardCall,
  forwardingMethods,
  type UpstreamClient,
} from './passthrough';
export { WireFormatError } from './proto-wire';
export { type ServerOptions, TtrpcServer } from './server';
export { ServerCall } from './server-call';
export type { ServerEventLog } from './server-connection';
export type { MethodKind, MethodRegistration, MethodTable, RawHandler } from './services';
export {
  type ConnectTarget,
  type DialOptions,
  describeTarget,
  dial,
  type ListenAddress,
  listen,
} from './transport';
export {
  type ClientMethod,
  createServiceClient,
  type MessageCodec,
  type MethodDescriptor,
  methodKind,
  type RequestOf,
  type ResponseOf,
  type ServerMethod,
  type ServiceClient,
  type ServiceDescriptor,
  type ServiceImplementation,
  serviceMethods,
  type TypedClientStream,
  type TypedSender,
} from './typed';
export { Flags, FRAME_HEADER_BYTES, MAX_MESSAGE_BYTES, MessageType, oversizeMessage } from './wire-format';
