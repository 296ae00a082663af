import { renameSync, writeFileSync } from 'node:fs';

/**
 * Replaces `file` with `text` (0600) through a temp file renamed over it, so a crash leaves the old
 * content or the new, never half of either. Not fsynced: what must survive is a crash of the daemon,
 * not of the node (whose namespaces and tunnels go with it anyway).
 */
export function writeFileAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
