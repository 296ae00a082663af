/**
 * Initdata as the pod VM reads it (docs/compatibility.md §6.6): base64 → gunzip → TOML
 * `{algorithm, version, data}`; the digest is the hex hash, per `algorithm`, of the decompressed
 * TOML bytes exactly as delivered (attestation binds this digest, so no re-serialisation).
 */
import { parse, TomlError } from 'smol-toml';
import { decodeBase64 } from './base64';
import { InitdataError } from './initdata-error';

export const INITDATA_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;
export type InitdataAlgorithm = (typeof INITDATA_ALGORITHMS)[number];

/** Default cap on the decompressed TOML: real initdata is a few KiB; this stops gzip bombs. */
export const MAX_INITDATA_BYTES = 1024 * 1024;

export interface Initdata {
  /** The decompressed TOML, the bytes the digest is taken over. */
  toml: Buffer;
  algorithm: InitdataAlgorithm;
  version: string;
  /** File name → content, e.g. `aa.toml`, `cdh.toml`, `policy.rego`. */
  data: Record<string, string>;
  /** Lower-case hex. */
  digest: string;
}

export interface DecodeOptions {
  maxBytes?: number;
}

// node:zlib and node:crypto are loaded on first use: importing them costs ~8 ms of start-up.
function gunzip(compressed: Buffer, maxBytes: number): Buffer {
  const { gunzipSync } = process.getBuiltinModule('node:zlib');
  try {
    return gunzipSync(compressed, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InitdataError(`initdata decompresses to more than ${maxBytes} bytes`);
    }
    throw new InitdataError(`initdata is not gzip: ${(error as Error).message}`);
  }
}

function parseToml(bytes: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InitdataError('initdata is not UTF-8 text');
  }
  try {
    return parse(text);
  } catch (error) {
    const detail = error instanceof TomlError ? error.message.split('\n')[0] : String(error);
    throw new InitdataError(`initdata is not TOML: ${detail}`);
  }
}

function isAlgorithm(value: unknown): value is InitdataAlgorithm {
  return (INITDATA_ALGORITHMS as readonly unknown[]).includes(value);
}

function readData(value: unknown): Record<string, string> {
  if (value === undefined) throw new InitdataError('initdata has no [data] table');
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    throw new InitdataError('initdata "data" is not a table');
  }
  const data: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string')
      throw new InitdataError(`initdata data ${JSON.stringify(key)} is not a string`);
    data[key] = entry;
  }
  return data;
}

export function decodeInitdata(encoded: string, options: DecodeOptions = {}): Initdata {
  const toml = gunzip(decodeBase64(encoded), options.maxBytes ?? MAX_INITDATA_BYTES);
  const document = parseToml(toml);
  const { algorithm, version } = document;
  if (algorithm === undefined) throw new InitdataError('initdata has no "algorithm"');
  if (!isAlgorithm(algorithm)) {
    throw new InitdataError(
      `initdata algorithm ${JSON.stringify(algorithm)} is not one of ${INITDATA_ALGORITHMS.join(', ')}`,
    );
  }
  if (version === undefined) throw new InitdataError('initdata has no "version"');
  if (typeof version !== 'string') throw new InitdataError('initdata "version" is not a string');
  const data = readData(document.data);
  const { createHash } = process.getBuiltinModule('node:crypto');
  const digest = createHash(algorithm).update(toml).digest('hex');
  return { toml, algorithm, version, data, digest };
}
