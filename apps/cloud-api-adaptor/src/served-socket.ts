import net from 'node:net';

/**
 * Fails when something accepts connections on the unix socket: listening would replace the file and
 * silently take the kata shims away from a running daemon. A stale socket file (nobody listening) is
 * fine; listening replaces it.
 */
export async function refuseIfServed(socketPath: string): Promise<void> {
  const served = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
  if (served) {
    throw new Error(
      `another process is serving ${socketPath} (a cloud-api-adaptor already running?); stop it, or use another -socket`,
    );
  }
}
