/**
 * Parses a listen flag's value: `host:port`, `[v6]:port` or `:port` (all addresses), as Go's
 * net.Listen takes it. `flag` names the flag in the error, e.g. `-listen`.
 */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`invalid value "${text}" for ${flag}: expected host:port`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}
