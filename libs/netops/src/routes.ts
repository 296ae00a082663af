import { type Family, familyFlag } from './family';
import { iproute2Json } from './iproute2';
import { type JsonObject, num, str, strings } from './json';
import type { NetopsOptions } from './options';

/** One route of `ip -json -details route show`. */
export interface Route {
  /** `unicast`, `local`, `broadcast`, `blackhole`... */
  readonly type: string;
  /**
   * Destination in prefix form: ip's `default` becomes `0.0.0.0/0` (or `::/0`), a bare host address
   * gets `/32` (or `/128`).
   */
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
  /** `kernel`, `boot`, `static`, `dhcp`... (a number as text when unnamed). */
  readonly protocol: string;
  /** `global` (ip's `universe`), `link`, `host`. */
  readonly scope: string;
  readonly table: string;
  readonly metric?: number;
  /** Preferred source address (`src`). */
  readonly prefsrc?: string;
  /** `onlink`, `linkdown`... */
  readonly flags: readonly string[];
  readonly family: Family;
  readonly raw: JsonObject;
}

export interface ListRoutesOptions extends NetopsOptions {
  /** Default IPv4. */
  readonly family?: Family;
  /** Default `main`; `all` for every table. */
  readonly table?: string;
}

/** Routes of one table (default: IPv4, main). */
export async function listRoutes(options: ListRoutesOptions = {}): Promise<Route[]> {
  const family = options.family ?? 'inet';
  const table = options.table ?? 'main';
  // -details, because without it ip leaves out type, protocol and scope when they are the defaults.
  const args = [familyFlag(family), '-details', 'route', 'show', 'table', table];
  return (await iproute2Json('ip', args, options)).map((raw) => toRoute(raw, family, table));
}

function toRoute(raw: JsonObject, family: Family, table: string): Route {
  return {
    type: str(raw, 'type') ?? 'unicast',
    dst: normaliseDst(str(raw, 'dst') ?? 'default', family),
    gateway: str(raw, 'gateway'),
    dev: str(raw, 'dev'),
    protocol: str(raw, 'protocol') ?? 'boot',
    scope: str(raw, 'scope') ?? 'global',
    // ip names the table only when it is not main.
    table: str(raw, 'table') ?? (table === 'all' ? 'main' : table),
    metric: num(raw, 'metric'),
    prefsrc: str(raw, 'prefsrc'),
    flags: strings(raw, 'flags'),
    family,
    raw,
  };
}

function normaliseDst(dst: string, family: Family): string {
  if (dst === 'default') return family === 'inet' ? '0.0.0.0/0' : '::/0';
  if (dst.includes('/')) return dst;
  return `${dst}/${family === 'inet' ? 32 : 128}`;
}
