import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The Debian mirror this machine's apt uses for `release`: what debootstrap should fetch from, so
 * the build works wherever apt does (a local mirror, a proxy, a closed network).
 * Reads deb822 `.sources` files and one-line `sources.list` entries; security and updates suites
 * are skipped, since debootstrap wants the release's main archive.
 */
export function mirrorFromSources(
  files: readonly { name: string; text: string }[],
  release: string,
): string | undefined {
  for (const { name, text } of files) {
    if (name.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of stanza.split('\n')) {
          const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (match) fields.set(match[1]!.toLowerCase(), match[2]!.trim());
        }
        if (fields.get('enabled') === 'no') continue;
        if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
        if (!(fields.get('suites') ?? '').split(/\s+/).includes(release)) continue;
        const uri = (fields.get('uris') ?? '').split(/\s+/)[0];
        if (uri) return uri;
      }
    } else {
      for (const line of text.split('\n')) {
        const words = line
          .replace(/#.*/, '')
          .replace(/\[[^\]]*\]/, '')
          .trim()
          .split(/\s+/);
        if (words[0] === 'deb' && words[2] === release && words[1]) return words[1];
      }
    }
  }
  return undefined;
}

/** Reads /etc/apt's sources and returns the mirror for `release`, else Debian's own. */
export async function configuredMirror(release: string, aptDir = '/etc/apt'): Promise<string> {
  const files: { name: string; text: string }[] = [];
  const read = async (path: string, name: string) => {
    try {
      files.push({ name, text: await readFile(path, 'utf8') });
    } catch {
      // absent: nothing configured there
    }
  };
  await read(join(aptDir, 'sources.list'), 'sources.list');
  let names: string[] = [];
  try {
    names = (await readdir(join(aptDir, 'sources.list.d'))).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    if (name.endsWith('.list') || name.endsWith('.sources'))
      await read(join(aptDir, 'sources.list.d', name), name);
  }
  return mirrorFromSources(files, release) ?? 'http://deb.debian.org/debian';
}
