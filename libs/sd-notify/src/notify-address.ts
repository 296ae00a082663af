/**
 * The socket named by NOTIFY_SOCKET, as the bytes of a `struct sockaddr_un` (what sendto takes):
 * `/path` is a file-system socket, `@name` an abstract one (a leading NUL on the wire), as systemd
 * documents for sd_notify. Other forms (relative paths, `vsock:…`) are refused by name.
 */
export interface NotifyAddress {
  /** `struct sockaddr_un`: sa_family AF_UNIX (host order) then sun_path. */
  sockaddr: Buffer;
  /** The address length to pass with it (family + the significant bytes of sun_path). */
  length: number;
}

const AF_UNIX = 1;
/** sizeof(sun_path) on Linux. */
const SUN_PATH_BYTES = 108;

export function parseNotifyAddress(value: string): NotifyAddress {
  let path: Buffer;
  if (value.startsWith('/')) {
    // NUL-terminated, so the terminator must fit too.
    path = Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]);
  } else if (value.startsWith('@') && value.length > 1) {
    // Abstract: the name's length alone delimits it, no terminator.
    path = Buffer.concat([Buffer.alloc(1), Buffer.from(value.slice(1), 'utf8')]);
  } else {
    throw new Error(
      `NOTIFY_SOCKET=${JSON.stringify(value)}: only an absolute path or an abstract name (@name) is supported`,
    );
  }
  if (path.length > SUN_PATH_BYTES) {
    throw new Error(
      `NOTIFY_SOCKET=${JSON.stringify(value)}: longer than a unix socket address allows (${SUN_PATH_BYTES - 1} bytes)`,
    );
  }
  const sockaddr = Buffer.alloc(2 + SUN_PATH_BYTES);
  sockaddr.writeUInt16LE(AF_UNIX, 0);
  path.copy(sockaddr, 2);
  // A path's length counts its terminator, as SUN_LEN + 1 does; an abstract name's does not have one.
  return { sockaddr, length: 2 + path.length };
}
