/**
 * What initdata turns into (docs/compatibility.md §6.6): its `data` entries aa.toml, cdh.toml and
 * policy.rego as files in /run/peerpod, and the digest in /run/peerpod/initdata.digest. Decoding is
 * @peerpods/initdata's (base64 → gunzip → TOML, digest per `algorithm` over the decompressed bytes);
 * this only decides which files result, so nothing is written before all of it is known to be good.
 */
import { posix } from 'node:path';
import { decodeInitdata } from '@peerpods/initdata';
import type { Logger } from '@peerpods/log';
import { DIGEST_MODE, INITDATA_DIGEST_PATH, INITDATA_FILES_ALLOWED, PEERPOD_DIR } from './paths';

export interface PlannedFile {
  /** In-VM path. */
  path: string;
  content: string;
  mode: number;
}

export interface InitdataFiles {
  algorithm: string;
  version: string;
  digest: string;
  files: PlannedFile[];
}

/** Throws InitdataError (from @peerpods/initdata) naming the layer that is wrong. */
export function initdataFiles(encoded: string, log: Logger): InitdataFiles {
  const { algorithm, version, data, digest } = decodeInitdata(encoded);
  const files: PlannedFile[] = [];
  for (const [key, content] of Object.entries(data)) {
    // As upstream: the key is joined to /run/peerpod (so "./aa.toml" is aa.toml) and must land on one
    // of the three allowed paths; anything else, "../etc/x" included, is skipped.
    const path = posix.join(PEERPOD_DIR, key);
    const mode = INITDATA_FILES_ALLOWED.get(path);
    if (mode === undefined) {
      log.info(`File: ${key} is not allowed in initdata.`);
      continue;
    }
    files.push({ path, content, mode });
  }
  // Hex, no newline: attesters read it, and the image's unit extends PCR8 with its first 64 characters.
  files.push({ path: INITDATA_DIGEST_PATH, content: digest, mode: DIGEST_MODE });
  return { algorithm, version, digest, files };
}
