import { type Family, familyFlag } from './family';
import { iproute2Json } from './iproute2';
import { flag, type JsonObject, str, strings } from './json';
import type { NetopsOptions } from './options';

/** One entry of `ip -json neigh show`. */
export interface Neighbour {
  readonly dst: string;
  readonly dev?: string;
  /** MAC address; absent while unresolved (INCOMPLETE, FAILED). */
  readonly lladdr?: string;
  /** NUD states, e.g. `["PERMANENT"]`, `["REACHABLE"]`, `["STALE"]`. */
  readonly state: readonly string[];
  readonly permanent: boolean;
  readonly router: boolean;
  readonly raw: JsonObject;
}

export interface ListNeighboursOptions extends NetopsOptions {
  readonly dev?: string;
  /** Default both. */
  readonly family?: Family;
}

/** Neighbour (ARP/NDP) entries of the namespace. */
export async function listNeighbours(options: ListNeighboursOptions = {}): Promise<Neighbour[]> {
  const args = options.family === undefined ? [] : [familyFlag(options.family)];
  args.push('neigh', 'show');
  if (options.dev !== undefined) args.push('dev', options.dev);
  return (await iproute2Json('ip', args, options)).map((raw) => {
    const state = strings(raw, 'state');
    return {
      dst: str(raw, 'dst') ?? '',
      // Filtered by dev, ip leaves the dev out of each entry.
      dev: str(raw, 'dev') ?? options.dev,
      lladdr: str(raw, 'lladdr'),
      state,
      permanent: state.includes('PERMANENT'),
      router: flag(raw, 'router'),
      raw,
    };
  });
}
