/** The ttrpc frame format (containerd ttrpc PROTOCOL.md): facts shared by every file here. */

/** Length (4) + stream id (4) + type (1) + flags (1), all big-endian. */
export const FRAME_HEADER_BYTES = 10;

/** Largest frame body either side accepts or sends: 4 MiB, the same constant in Go and Rust. */
export const MAX_MESSAGE_BYTES = 4 << 20;

export const MessageType = {
  Request: 0x01,
  Response: 0x02,
  Data: 0x03,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Flags = {
  /** Request: non-unary, client sends no Data. Data: the sender's last message. */
  RemoteClosed: 0x01,
  /** Request: non-unary, client will send Data frames. */
  RemoteOpen: 0x02,
  /** Data: the frame carries no message (0x05 = close without data). */
  NoData: 0x04,
} as const;

export function oversizeMessage(length: number): string {
  return `message length ${length} exceed maximum message size of ${MAX_MESSAGE_BYTES}`;
}
