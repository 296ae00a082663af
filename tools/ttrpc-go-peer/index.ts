// Where the Go interop peer binary is, building it first if needed (tests call this in their setup).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;

/** Path to the built `ttrpc-go-peer`; runs build.sh when it is missing (needs Go and Debian's ttrpc sources). */
export function goPeerBinary(): string {
  const binary = join(here, 'dist', 'ttrpc-go-peer');
  if (!existsSync(binary))
    execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return binary;
}
