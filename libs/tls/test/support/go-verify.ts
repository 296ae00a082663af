import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sourceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'go-verify');
const missingGo = 'Go is needed for the interop check of the certificates: apt-get install -y golang-go';

/** Go's environment for an offline, module-free build of a standard-library-only program. */
function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOFLAGS: '',
    // A cache is required; CI may run without HOME.
    GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'peerpods-tls-gocache'),
  };
}

/** Builds test/go-verify into a temporary folder and returns the binary's path. */
export async function buildGoVerify(): Promise<string> {
  try {
    await run('go', ['version'], { env: goEnv() });
  } catch (error) {
    throw new Error(missingGo, { cause: error });
  }
  const out = join(await mkdtemp(join(tmpdir(), 'peerpods-go-verify-')), 'go-verify');
  await run('go', ['build', '-o', out, '.'], { cwd: sourceDir, env: goEnv() });
  return out;
}

export interface GoResult {
  readonly ok: boolean;
  readonly output: string;
}

export async function goVerify(binary: string, args: readonly string[]): Promise<GoResult> {
  try {
    const { stdout } = await run(binary, args);
    return { ok: true, output: stdout.trim() };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    return { ok: false, output: stderr.trim() };
  }
}
