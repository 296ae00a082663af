import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PodNetworkHandle } from './pod-network';

export const DEFAULT_STATE_DIR = '/run/peerpod-shim/sandboxes';

/** What `create` leaves for `exec` and `stop` in later invocations. */
export interface SandboxState {
  id: string;
  /** The hypervisor socket the sandbox was created through. */
  socketPath: string;
  /** What CreateVM returned. */
  agentSocketPath: string;
  podNetwork: PodNetworkHandle;
  /** ISO time of creation. */
  createdAt?: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function stateFile(id: string, dir: string): string {
  if (!ID.test(id)) throw new TypeError(`invalid sandbox id ${JSON.stringify(id)}`);
  return join(dir, `${id}.json`);
}

/** Writes `<dir>/<id>.json` atomically (temporary file, then rename). */
export async function saveSandbox(state: SandboxState, dir: string = DEFAULT_STATE_DIR): Promise<string> {
  const file = stateFile(state.id, dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
  return file;
}

/** Reads a saved sandbox; a missing one is an error naming the id and the directory. */
export async function loadSandbox(id: string, dir: string = DEFAULT_STATE_DIR): Promise<SandboxState> {
  const file = stateFile(id, dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`unknown sandbox id ${id}: no ${file} (create it first with "shim-client create")`);
    }
    throw error;
  }
  let state: SandboxState;
  try {
    state = JSON.parse(text) as SandboxState;
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (
    state.id !== id ||
    typeof state.agentSocketPath !== 'string' ||
    typeof state.podNetwork?.name !== 'string'
  ) {
    throw new Error(`${file} is not a sandbox state file`);
  }
  return state;
}

/** Removes the state file; idempotent. */
export async function removeSandbox(id: string, dir: string = DEFAULT_STATE_DIR): Promise<void> {
  await rm(stateFile(id, dir), { force: true });
}
