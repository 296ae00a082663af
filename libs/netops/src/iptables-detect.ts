import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { type CommandRunner, runCommand } from './command';
import { IptablesNotFoundError } from './errors';

/** `nft`: iptables-nft (nf_tables backend); `legacy`: the x_tables backend. */
export type IptablesFlavour = 'nft' | 'legacy';

export interface IptablesBinary {
  /** Absolute path of the binary that was found. */
  readonly path: string;
  readonly flavour: IptablesFlavour;
  /** e.g. `1.8.9`. */
  readonly version: string;
}

/** In order of preference: whatever the system's alternatives point at, then either backend. */
export const IPTABLES_CANDIDATES: readonly string[] = ['iptables', 'iptables-legacy', 'iptables-nft'];

// Login shells of non-root users often leave sbin out of PATH, where Debian puts iptables.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export interface DetectIptablesOptions {
  /** PATH-style list of directories to search; default `$PATH` plus the sbin directories. */
  readonly searchPath?: string;
  /** Binary names to try, in order; default {@link IPTABLES_CANDIDATES}. */
  readonly candidates?: readonly string[];
  readonly run?: CommandRunner;
  readonly timeoutMs?: number;
}

/**
 * Finds iptables and asks it which backend it drives (`iptables --version` says `(nf_tables)` or
 * `(legacy)`; versions before 1.8 say neither and are legacy). Throws {@link IptablesNotFoundError}
 * (`iptables not found: apt-get install -y iptables`) when no candidate is on the search path.
 */
export async function detectIptablesBinary(options: DetectIptablesOptions = {}): Promise<IptablesBinary> {
  const dirs = searchDirs(options.searchPath);
  const candidates = options.candidates ?? IPTABLES_CANDIDATES;
  const path = await findExecutable(candidates, dirs);
  if (path === undefined) throw new IptablesNotFoundError(candidates, dirs);
  const run = options.run ?? runCommand;
  const { stdout, stderr } = await run(path, ['--version'], { timeoutMs: options.timeoutMs });
  const text = `${stdout}${stderr}`;
  return {
    path,
    flavour: text.includes('(nf_tables)') ? 'nft' : 'legacy',
    version: /v(\d+(?:\.\d+)*)/.exec(text)?.[1] ?? 'unknown',
  };
}

function searchDirs(searchPath: string | undefined): string[] {
  const given = searchPath ?? process.env.PATH ?? '';
  const dirs = given.split(delimiter).filter((dir) => dir !== '');
  if (searchPath === undefined) dirs.push(...SBIN_DIRS);
  return [...new Set(dirs)];
}

async function findExecutable(
  names: readonly string[],
  dirs: readonly string[],
): Promise<string | undefined> {
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        await access(path, constants.X_OK);
        return path;
      } catch {
        // not here; try the next directory
      }
    }
  }
  return undefined;
}
