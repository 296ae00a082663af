import { ucs2be } from './encoding';

// Joliet forbids these and control characters; names are at most 64 UCS-2 characters.
const JOLIET_FORBIDDEN = /[*/:;?\\]/;
const isControl = (name: string) => [...name].some((char) => char.charCodeAt(0) < 0x20);

/** Checks a file name for both name spaces; the error says what is wrong with which name. */
export function checkName(name: string): void {
  if (
    name === '' ||
    name.length > 64 ||
    JOLIET_FORBIDDEN.test(name) ||
    isControl(name) ||
    name === '.' ||
    name === '..'
  ) {
    throw new Error(
      `ISO 9660 file name ${JSON.stringify(name)}: 1 to 64 characters, none of * / : ; ? \\ or control`,
    );
  }
  if ([...name].some((char) => (char.codePointAt(0) ?? 0) > 0xffff)) {
    throw new Error(`ISO 9660 file name ${JSON.stringify(name)}: outside UCS-2`);
  }
}

/**
 * The primary (level 1) names: 8.3 of d-characters, `;1` version, unique within the directory.
 * Readers that know Joliet (Linux, cloud-init) use the Joliet names instead.
 */
export function primaryNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const dot = name.lastIndexOf('.');
    const clean = (part: string) => part.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    const base = clean(dot > 0 ? name.slice(0, dot) : name);
    const extension = clean(dot > 0 ? name.slice(dot + 1) : '').slice(0, 3);
    for (let n = 0; ; n++) {
      const suffix = n === 0 ? '' : String(n);
      const candidate = `${base.slice(0, 8 - suffix.length)}${suffix}.${extension};1`;
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
  });
}

export function jolietName(name: string): Buffer {
  return ucs2be(name);
}
