/**
 * base64(gzip(toml)): what the daemon writes to `/run/peerpod/initdata` for a pod whose
 * `cc_init_data` annotation carries raw TOML (kata has already decoded the pod's annotation).
 */
export function encodeInitdataAnnotation(raw: string): string {
  // Loaded on first use: importing node:zlib costs a few ms of every binary's start-up.
  const { gzipSync } = process.getBuiltinModule('node:zlib');
  return gzipSync(Buffer.from(raw, 'utf8')).toString('base64');
}
