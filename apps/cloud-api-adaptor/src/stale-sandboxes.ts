import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_ID } from './sandbox-id';

/**
 * Removes `<pods-dir>/<sandbox id>` directories, at start-up, before any sandbox exists. Only entries
 * shaped like a sandbox's directory are touched; returns their names.
 */
export function removeStaleSandboxDirs(podsDir: string): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(podsDir)) {
    const path = join(podsDir, entry);
    if (!SANDBOX_ID.test(entry) || !statSync(path).isDirectory()) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
