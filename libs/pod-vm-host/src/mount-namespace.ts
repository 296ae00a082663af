import { readlink } from 'node:fs/promises';

/**
 * Whether this process runs in another mount namespace than PID 1. `ip netns add` bind-mounts each
 * namespace under /run/netns; made from a private mount namespace, those mounts stay in it.
 */
export async function hasPrivateMountNamespace(): Promise<boolean> {
  try {
    const [own, init] = await Promise.all([readlink('/proc/self/ns/mnt'), readlink('/proc/1/ns/mnt')]);
    return own !== init;
  } catch {
    // Without access to PID 1's namespace there is nothing to compare; assume the usual case.
    return false;
  }
}
