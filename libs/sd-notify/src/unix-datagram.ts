import { constants } from 'node:os';
import type { NotifyAddress } from './notify-address';

/**
 * One datagram to a unix socket, sent by this very process: systemd reads the sender's PID from
 * the socket credentials and, under NotifyAccess=main (the default for Type=notify), accepts only
 * the service's main PID — which rules out handing the message to a child such as systemd-notify.
 * Node has no unix datagram sockets, so this calls libc's socket/sendto/close through node:ffi
 * (in the runtime since Node 26.1; no native addon, nothing for npm to build).
 */
export class DatagramError extends Error {
  constructor(
    readonly call: string,
    readonly code: string,
  ) {
    super(`${call}: ${code}`);
    this.name = 'DatagramError';
  }
}

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(
    fd: number,
    data: Buffer,
    length: bigint,
    flags: number,
    address: Buffer,
    addressLength: number,
  ): bigint;
  close(fd: number): number;
  errno(): number;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
// Never block the event loop on a full receive queue (the caller retries), never raise SIGPIPE.
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const ffi = requireFfiQuietly();
  const { functions } = ffi.dlopen('libc.so.6', {
    socket: { arguments: ['i32', 'i32', 'i32'], return: 'i32' },
    sendto: { arguments: ['i32', 'buffer', 'u64', 'i32', 'buffer', 'u32'], return: 'i64' },
    close: { arguments: ['i32'], return: 'i32' },
    __errno_location: { arguments: [], return: 'pointer' },
  });
  const errnoPointer = functions.__errno_location();
  libc = {
    socket: functions.socket,
    sendto: functions.sendto,
    close: functions.close,
    // errno is thread-local; the main thread's location never moves.
    errno: () => ffi.getInt32(errnoPointer),
  };
  return libc;
}

/** node:ffi announces itself with an ExperimentalWarning on first load; a daemon's log is no place for it. */
function requireFfiQuietly(): typeof import('node:ffi') {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/\bFFI\b/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return process.getBuiltinModule('node:ffi');
  } finally {
    process.emitWarning = emitWarning;
  }
}

function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

/** Sends `payload` as one datagram to `address`; throws a DatagramError naming the failing call. */
export function sendUnixDatagram(address: NotifyAddress, payload: Buffer): void {
  const c = loadLibc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new DatagramError('socket', errnoName(c.errno()));
  try {
    const sent = c.sendto(
      fd,
      payload,
      BigInt(payload.length),
      MSG_DONTWAIT | MSG_NOSIGNAL,
      address.sockaddr,
      address.length,
    );
    if (sent < 0n) throw new DatagramError('sendto', errnoName(c.errno()));
  } finally {
    c.close(fd);
  }
}
