import { parseNotifyAddress } from './notify-address';
import { DatagramError, sendUnixDatagram } from './unix-datagram';

export interface SdNotifyOptions {
  /** Where NOTIFY_SOCKET is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long to keep retrying while systemd's queue is full (EAGAIN); default 2000 ms. */
  retryForMs?: number;
}

/**
 * Tells the service manager about a state change (`READY=1`, `STOPPING=1`, `STATUS=…`, several
 * separated by newlines), as sd_notify(3) does: a no-op resolving false when NOTIFY_SOCKET is unset,
 * true once the datagram is sent. Sent from this process, so the unit needs no NotifyAccess=all.
 * Rejects with a message naming NOTIFY_SOCKET and the failing call.
 */
export async function sdNotify(state: string, options: SdNotifyOptions = {}): Promise<boolean> {
  const value = (options.env ?? process.env).NOTIFY_SOCKET;
  if (!value) return false;
  const address = parseNotifyAddress(value);
  const payload = Buffer.from(state, 'utf8');
  const deadline = performance.now() + (options.retryForMs ?? 2000);
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 200)) {
    try {
      sendUnixDatagram(address, payload);
      return true;
    } catch (error) {
      const retry = error instanceof DatagramError && error.code === 'EAGAIN' && performance.now() < deadline;
      if (!retry)
        throw new Error(
          `sd_notify ${JSON.stringify(state)} to NOTIFY_SOCKET=${value}: ${(error as Error).message}`,
        );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * {@link sdNotify} for daemons, where a service manager that cannot be told is worth a warning but
 * never a failed start or stop: resolves in every case, passing any error's message to `warn`.
 */
export async function notifyServiceManager(
  state: string,
  warn: (message: string) => void,
  options: SdNotifyOptions = {},
): Promise<void> {
  try {
    await sdNotify(state, options);
  } catch (error) {
    warn((error as Error).message);
  }
}
