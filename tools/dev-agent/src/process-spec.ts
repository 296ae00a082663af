import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { Code, TtrpcError } from '@peerpods/ttrpc';

/** What a container or exec process runs, taken from the OCI `process` of the request. */
export interface ProcessSpec {
  readonly args: readonly string[];
  /** `KEY=VALUE` entries, exactly as the request gave them. */
  readonly env: readonly string[];
  readonly cwd: string;
}

/** How to spawn one process: file, argv after it, environment and working directory. */
export interface SpawnCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
}

/** The PATH used when the process's own environment has none (what execvp would fall back to). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function envRecord(env: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq > 0) record[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return record;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a program name the way execvp would with `path`; undefined when there is no such file. */
export function findExecutable(name: string, path: string, cwd: string): string | undefined {
  if (name.includes('/')) {
    const full = isAbsolute(name) ? name : resolve(cwd, name);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

let nsenterPath: string | undefined;

function nsenter(): string {
  // Found on the agent's own PATH: the container's environment need not have one that reaches it.
  nsenterPath ??= findExecutable('nsenter', `${process.env.PATH ?? ''}:${DEFAULT_PATH}`, '/');
  if (nsenterPath === undefined) {
    throw new TtrpcError(Code.Internal, 'nsenter not found (apt-get install -y util-linux)');
  }
  return nsenterPath;
}

/**
 * The command for a process spec, checked before anything is spawned so that a missing program is a
 * clear NotFound error rather than an exit status (nsenter would only report it after the fork).
 * With a network namespace the program runs as `nsenter --net=<path> -- <args...>`.
 */
export function spawnCommand(spec: ProcessSpec, netns: string | undefined): SpawnCommand {
  const [program, ...rest] = spec.args;
  if (program === undefined || program === '') {
    throw new TtrpcError(Code.InvalidArgument, 'process args are empty: nothing to run');
  }
  const env = envRecord(spec.env);
  const cwd = spec.cwd !== '' && isDirectory(spec.cwd) ? spec.cwd : '/';
  const resolved = findExecutable(program, env.PATH ?? DEFAULT_PATH, cwd);
  if (resolved === undefined) {
    throw new TtrpcError(Code.NotFound, `exec: "${program}": executable file not found in $PATH`);
  }
  if (netns === undefined) return { file: resolved, args: rest, env, cwd };
  return { file: nsenter(), args: [`--net=${netns}`, '--', resolved, ...rest], env, cwd };
}
