/** Parses `-listen`: `host:port`, `[v6]:port` or `:port` (all addresses), as Go's net.Listen takes it. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`invalid value "${text}" for -listen: expected host:port`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}
