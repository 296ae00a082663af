/**
 * The pod VM's files (docs/compatibility.md §6.5) and the mode each is written with. Every path here is
 * the in-VM path; `inRoot` maps it under the root directory the caller chose (`/` in a real VM, a
 * temporary directory in tests).
 */
import { join } from 'node:path';

export const PEERPOD_DIR = '/run/peerpod';
/** libvirt's cidata ISO (mounted by the unit), BYOM's SFTP upload, and the old docker provider. */
export const USER_DATA_PATH = '/media/cidata/user-data';
export const INITDATA_PATH = '/run/peerpod/initdata';
export const INITDATA_DIGEST_PATH = '/run/peerpod/initdata.digest';

/**
 * Modes. Upstream writes everything 0644; we do not, on purpose. A file that carries a secret is
 * 0600 (every reader in the pod VM — attestation-agent, confidential-data-hub, kata-agent, the
 * forwarder — runs as root, so nothing loses access):
 * - apf.json holds the forwarder's TLS private key;
 * - auth.json holds registry credentials;
 * - aa.toml and cdh.toml may hold KBS credentials, certificates and sealed-secret settings;
 * - initdata holds aa.toml and cdh.toml themselves (base64 and gzip hide nothing).
 * Files that are public by design stay 0644: the agent policy (policy.rego, whose default copy
 * tmpfiles installs world-readable), the digest (a measurement that attestation reports anyway)
 * and the empty scratch-space marker.
 */
export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

/** The only `write_files` paths process-user-data writes; anything else is logged and skipped. */
export const WRITE_FILES_ALLOWED: ReadonlyMap<string, number> = new Map([
  ['/run/peerpod/aa.toml', SECRET_MODE],
  ['/run/peerpod/cdh.toml', SECRET_MODE],
  ['/run/peerpod/apf.json', SECRET_MODE],
  ['/run/peerpod/auth.json', SECRET_MODE],
  [INITDATA_PATH, SECRET_MODE],
  ['/run/peerpod/scratch-space.marker', PUBLIC_MODE],
]);

/** The only initdata `data` entries written, as paths under PEERPOD_DIR. */
export const INITDATA_FILES_ALLOWED: ReadonlyMap<string, number> = new Map([
  ['/run/peerpod/aa.toml', SECRET_MODE],
  ['/run/peerpod/cdh.toml', SECRET_MODE],
  ['/run/peerpod/policy.rego', PUBLIC_MODE],
]);

export const DIGEST_MODE = PUBLIC_MODE;

/** An in-VM absolute path under `root`. */
export function inRoot(root: string, vmPath: string): string {
  return root === '/' ? vmPath : join(root, vmPath);
}
