import type { Metadata, MetadataEntry } from './metadata';
import { varintSize, WireFormatError, WireReader, WireType, writeVarint } from './proto-wire';
import { FRAME_HEADER_BYTES, MAX_MESSAGE_BYTES, MessageType } from './wire-format';

/** ttrpc.Request: the body of a Request frame. */
export interface RequestEnvelope {
  service: string;
  method: string;
  /** The method's request message, encoded. */
  payload: Uint8Array;
  /** Remaining budget in ns relative to send time; 0 = no deadline. May be negative. */
  timeoutNano: number;
  metadata: Metadata;
}

/** google.rpc.Status. */
export interface Status {
  code: number;
  message: string;
  /** google.protobuf.Any entries, undecoded. */
  details: readonly Uint8Array[];
}

/** ttrpc.Response: the body of a Response frame. */
export interface ResponseEnvelope {
  /** Absent (Go) or code 0 (Rust) on success. */
  status?: Status;
  payload: Uint8Array;
}

/** Thrown when an encoded frame body would exceed MAX_MESSAGE_BYTES; nothing has been written. */
export class OversizeError extends Error {
  override readonly name = 'OversizeError';
  constructor(readonly length: number) {
    super(`message length ${length} exceed maximum message size of ${MAX_MESSAGE_BYTES}`);
  }
}

// Payloads at least this large go to the socket as their own buffer (writev) instead of being copied.
const ZERO_COPY_THRESHOLD = 16 * 1024;
const EMPTY = new Uint8Array(0);

const TAG_1_LEN = (1 << 3) | WireType.Len;
const TAG_2_LEN = (2 << 3) | WireType.Len;
const TAG_3_LEN = (3 << 3) | WireType.Len;
const TAG_4_VARINT = (4 << 3) | WireType.Varint;
const TAG_5_LEN = (5 << 3) | WireType.Len;
const TAG_1_VARINT = (1 << 3) | WireType.Varint;

function lenFieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function keyValueSize(entry: MetadataEntry): number {
  const key = Buffer.byteLength(entry.key);
  const value = Buffer.byteLength(entry.value);
  return (key ? lenFieldSize(key) : 0) + (value ? lenFieldSize(value) : 0);
}

function writeStringField(target: Buffer, offset: number, tag: number, text: string, bytes: number): number {
  if (!bytes) return offset;
  target[offset++] = tag;
  offset = writeVarint(target, offset, bytes);
  return offset + target.write(text, offset, 'utf8');
}

function writeHeader(target: Buffer, length: number, streamId: number, type: number, flags: number): void {
  target.writeUInt32BE(length, 0);
  target.writeUInt32BE(streamId, 4);
  target[8] = type;
  target[9] = flags;
}

/**
 * Lays out header + envelope around a payload that sits between `before` and `after` fields.
 * Small payloads are copied into the single frame buffer; large ones are returned as their own part.
 */
function assemble(
  streamId: number,
  type: number,
  flags: number,
  beforeBytes: number,
  writeBefore: (target: Buffer, offset: number) => number,
  payload: Uint8Array,
  payloadTag: number,
  afterBytes: number,
  writeAfter: (target: Buffer, offset: number) => number,
): Uint8Array[] {
  const payloadFieldHead = payload.length ? 1 + varintSize(payload.length) : 0;
  const bodyLength = beforeBytes + payloadFieldHead + payload.length + afterBytes;
  if (bodyLength > MAX_MESSAGE_BYTES) throw new OversizeError(bodyLength);
  const inline = payload.length < ZERO_COPY_THRESHOLD;
  const headBytes =
    FRAME_HEADER_BYTES + beforeBytes + payloadFieldHead + (inline ? payload.length + afterBytes : 0);
  const head = Buffer.allocUnsafe(headBytes);
  writeHeader(head, bodyLength, streamId, type, flags);
  let offset = writeBefore(head, FRAME_HEADER_BYTES);
  if (payload.length) {
    head[offset++] = payloadTag;
    offset = writeVarint(head, offset, payload.length);
  }
  if (inline) {
    head.set(payload, offset);
    writeAfter(head, offset + payload.length);
    return [head];
  }
  if (!afterBytes) return [head, payload];
  const tail = Buffer.allocUnsafe(afterBytes);
  writeAfter(tail, 0);
  return [head, payload, tail];
}

/** Encodes a whole Request frame (header included) as buffers for one writev. */
export function encodeRequestFrame(streamId: number, flags: number, request: RequestEnvelope): Uint8Array[] {
  const serviceBytes = Buffer.byteLength(request.service);
  const methodBytes = Buffer.byteLength(request.method);
  const before =
    (serviceBytes ? lenFieldSize(serviceBytes) : 0) + (methodBytes ? lenFieldSize(methodBytes) : 0);
  const entrySizes = request.metadata.map(keyValueSize);
  const after =
    (request.timeoutNano ? 1 + varintSize(request.timeoutNano) : 0) +
    entrySizes.reduce((sum, size) => sum + lenFieldSize(size), 0);
  return assemble(
    streamId,
    MessageType.Request,
    flags,
    before,
    (target, offset) => {
      offset = writeStringField(target, offset, TAG_1_LEN, request.service, serviceBytes);
      return writeStringField(target, offset, TAG_2_LEN, request.method, methodBytes);
    },
    request.payload,
    TAG_3_LEN,
    after,
    (target, offset) => {
      if (request.timeoutNano) {
        target[offset++] = TAG_4_VARINT;
        offset = writeVarint(target, offset, request.timeoutNano);
      }
      request.metadata.forEach((entry, index) => {
        target[offset++] = TAG_5_LEN;
        offset = writeVarint(target, offset, entrySizes[index]!);
        offset = writeStringField(target, offset, TAG_1_LEN, entry.key, Buffer.byteLength(entry.key));
        offset = writeStringField(target, offset, TAG_2_LEN, entry.value, Buffer.byteLength(entry.value));
      });
      return offset;
    },
  );
}

function statusSize(status: Status): number {
  const messageBytes = Buffer.byteLength(status.message);
  return (
    (status.code ? 1 + varintSize(status.code) : 0) +
    (messageBytes ? lenFieldSize(messageBytes) : 0) +
    status.details.reduce((sum, detail) => sum + lenFieldSize(detail.length), 0)
  );
}

/**
 * Encodes a whole Response frame. A success carries no status field at all, as Go servers send it
 * (so an empty success is a zero-length frame).
 */
export function encodeResponseFrame(streamId: number, response: ResponseEnvelope): Uint8Array[] {
  const status = response.status && response.status.code !== 0 ? response.status : undefined;
  const inner = status ? statusSize(status) : 0;
  const before = status ? lenFieldSize(inner) : 0;
  return assemble(
    streamId,
    MessageType.Response,
    0,
    before,
    (target, offset) => {
      if (!status) return offset;
      target[offset++] = TAG_1_LEN;
      offset = writeVarint(target, offset, inner);
      if (status.code) {
        target[offset++] = TAG_1_VARINT;
        offset = writeVarint(target, offset, status.code);
      }
      offset = writeStringField(target, offset, TAG_2_LEN, status.message, Buffer.byteLength(status.message));
      for (const detail of status.details) {
        target[offset++] = TAG_3_LEN;
        offset = writeVarint(target, offset, detail.length);
        target.set(detail, offset);
        offset += detail.length;
      }
      return offset;
    },
    status ? EMPTY : response.payload,
    TAG_2_LEN,
    0,
    (_target, offset) => offset,
  );
}

/** Encodes a Data frame: the body is the bare stream message, no envelope. */
export function encodeDataFrame(streamId: number, flags: number, payload: Uint8Array): Uint8Array[] {
  if (payload.length > MAX_MESSAGE_BYTES) throw new OversizeError(payload.length);
  const head = Buffer.allocUnsafe(
    FRAME_HEADER_BYTES + (payload.length < ZERO_COPY_THRESHOLD ? payload.length : 0),
  );
  writeHeader(head, payload.length, streamId, MessageType.Data, flags);
  if (payload.length < ZERO_COPY_THRESHOLD) {
    head.set(payload, FRAME_HEADER_BYTES);
    return [head];
  }
  return [head, payload];
}

function decodeKeyValue(bytes: Uint8Array): MetadataEntry {
  const reader = new WireReader(bytes);
  let key = '';
  let value = '';
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.Len) key = reader.string();
    else if (field === 2 && wireType === WireType.Len) value = reader.string();
    else reader.skip(wireType);
  }
  return { key, value };
}

/** Decodes a Request body. Fields may come in any order; unknown fields are skipped. */
export function decodeRequest(body: Uint8Array): RequestEnvelope {
  const reader = new WireReader(body);
  const request: RequestEnvelope = { service: '', method: '', payload: EMPTY, timeoutNano: 0, metadata: [] };
  const metadata: MetadataEntry[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (wireType === WireType.Len && field === 1) request.service = reader.string();
    else if (wireType === WireType.Len && field === 2) request.method = reader.string();
    else if (wireType === WireType.Len && field === 3) request.payload = reader.bytes();
    else if (wireType === WireType.Varint && field === 4) request.timeoutNano = reader.int64();
    else if (wireType === WireType.Len && field === 5) metadata.push(decodeKeyValue(reader.bytes()));
    else reader.skip(wireType);
  }
  request.metadata = metadata;
  return request;
}

function decodeStatus(bytes: Uint8Array): Status {
  const reader = new WireReader(bytes);
  const status = { code: 0, message: '', details: [] as Uint8Array[] };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.Varint) status.code = reader.int32();
    else if (field === 2 && wireType === WireType.Len) status.message = reader.string();
    else if (field === 3 && wireType === WireType.Len) status.details.push(reader.bytes());
    else reader.skip(wireType);
  }
  return status;
}

/** Decodes a Response body; both "no status" and "status with code 0" mean success. */
export function decodeResponse(body: Uint8Array): ResponseEnvelope {
  const reader = new WireReader(body);
  const response: ResponseEnvelope = { payload: EMPTY };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === 1 && wireType === WireType.Len) response.status = decodeStatus(reader.bytes());
    else if (field === 2 && wireType === WireType.Len) response.payload = reader.bytes();
    else reader.skip(wireType);
  }
  return response;
}

export { WireFormatError };
