import { execFile } from 'node:child_process';

/**
 * Tells systemd the service state (Type=notify units) when NOTIFY_SOCKET is set. Node cannot send
 * on a unix datagram socket, so systemd-notify sends it, naming this process as the main PID; the
 * unit needs NotifyAccess=all (images/ ships it so). Failures are reported, never fatal.
 */
export function sdNotify(state: string, onError: (message: string) => void = () => {}): Promise<void> {
  if (!process.env.NOTIFY_SOCKET) return Promise.resolve();
  return new Promise((resolve) => {
    execFile('systemd-notify', [`--pid=${process.pid}`, state], (error) => {
      if (error) onError(`sd_notify ${state}: ${error.message}`);
      resolve();
    });
  });
}
