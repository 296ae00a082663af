import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SANDBOX_ID } from './sandbox-id';

// What a sandbox's directory holds besides its record (those are recovery's); one with anything
// else was not made by this daemon.
const SANDBOX_FILES = new Set(['apf.json', 'agent.ttrpc', 'sandbox.json.tmp']);

/**
 * Removes `<pods-dir>/<sandbox id>` directories, at start-up, before any sandbox exists: only real
 * directories (not symlinks) with a sandbox id's shape holding nothing but a sandbox's files, so a
 * pods dir shared with anything else loses nothing of it. Returns their names.
 */
export function removeStaleSandboxDirs(podsDir: string): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(podsDir)) {
    const path = join(podsDir, entry);
    if (!SANDBOX_ID.test(entry) || !lstatSync(path).isDirectory()) continue;
    const files = readdirSync(path);
    if (files.length === 0 || !files.every((file) => SANDBOX_FILES.has(file))) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}
