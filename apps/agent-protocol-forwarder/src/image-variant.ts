import { readFile } from 'node:fs/promises';

/** The VARIANT_ID podvm-image-builder writes into a development image's /etc/os-release. */
export const DEVELOPMENT_VARIANT_ID = 'peerpods-dev';

/**
 * The line the forwarder logs at start in a development image (its agent is dev-agent, with no
 * isolation), so that no one mistakes such a pod VM for a production one; undefined otherwise.
 */
export function developmentImageWarning(osRelease: string): string | undefined {
  const variant = /^VARIANT_ID=["']?([^"'\n]*)["']?$/m.exec(osRelease)?.[1];
  if (variant !== DEVELOPMENT_VARIANT_ID) return undefined;
  return `this pod VM runs a DEVELOPMENT image (/etc/os-release VARIANT_ID=${DEVELOPMENT_VARIANT_ID}): its agent is dev-agent, which runs containers with NO isolation; never use it in production`;
}

/** Reads the image's os-release; an absent file (not a pod VM image of ours) says nothing. */
export async function readImageWarning(path = '/etc/os-release'): Promise<string | undefined> {
  try {
    return developmentImageWarning(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
