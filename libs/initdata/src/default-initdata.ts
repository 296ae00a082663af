/**
 * What the pod VM uses when user-data brings no initdata (docs/compatibility.md §6.6): sha256, version
 * 0.1.0, one empty `aa.toml`. No trailing newline: the digest is over exactly these bytes.
 */
export const DEFAULT_INITDATA_TOML = `algorithm = "sha256"
version = "0.1.0"

[data]
"aa.toml" = '''
'''`;

/**
 * base64(gzip(DEFAULT_INITDATA_TOML)), written out so importing this lib runs no gzip; a test checks
 * that it decodes to the TOML above. Only the TOML bytes matter to the digest, not the gzip bytes.
 */
export const DEFAULT_INITDATA =
  'H4sIAAAAAAAAA0vMSc8vyizJyFWwVVAqzkg0MjVT4ipLLSrOzM8DCRnoGeoZKHFxRackliTGciklJuqV5OfmKCnYKqirq3Opq6sDACVzsg5CAAAA';
