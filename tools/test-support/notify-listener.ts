// A stand-in for systemd's notify socket: a unix datagram listener that records each message with
// the sender's PID from SO_PASSCRED credentials, as systemd reads them to apply NotifyAccess=main.
// Node has no unix datagram sockets, so Debian's python3 plays the listener.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after } from 'node:test';

export interface NotifyMessage {
  /** The sending process, from the kernel's credentials (not from the message). */
  pid: number;
  message: string;
}

export interface NotifyListener {
  /** What NOTIFY_SOCKET should hold: the path, or `@name` for an abstract socket. */
  address: string;
  messages: NotifyMessage[];
  /** Resolves with the first message (already received or later) that `match` accepts. */
  next(match: (message: NotifyMessage) => boolean, what: string, ms?: number): Promise<NotifyMessage>;
  close(): void;
}

const LISTENER = `
import json, socket, struct, sys
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\\0" + address[1:] if address.startswith("@") else address)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("bound", flush=True)
while True:
    data, ancillary, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = -1
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", value[:12])[0]
    print(json.dumps({"pid": pid, "message": data.decode()}), flush=True)
`;

/** Listens on `address` (a path, or `@name`); closed when the calling test file ends. */
export async function startNotifyListener(address: string): Promise<NotifyListener> {
  const child = spawn('python3', ['-c', LISTENER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const messages: NotifyMessage[] = [];
  const waiters = new Set<() => void>();
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`notify listener exited with ${code}: ${stderr}`)));
    lines.once('line', () => resolve());
  });
  lines.on('line', (line) => {
    messages.push(JSON.parse(line) as NotifyMessage);
    for (const wake of waiters) wake();
  });
  const close = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  after(close);
  return {
    address,
    messages,
    close,
    next(match, what, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return;
          cleanUp();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`));
        }, ms);
        const cleanUp = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
