import { iproute2Json } from './iproute2';
import { isObject, type JsonObject, num, obj, str } from './json';
import type { NetopsOptions } from './options';

/** One qdisc of `tc -json qdisc show`. */
export interface Qdisc {
  /** `ingress`, `noqueue`, `fq_codel`... */
  readonly kind: string;
  /** `ffff:` for ingress. */
  readonly handle: string;
  readonly dev?: string;
  readonly parent?: string;
  readonly root: boolean;
  readonly raw: JsonObject;
}

/** One action of a filter, e.g. mirred. */
export interface TcAction {
  readonly kind: string;
  readonly order?: number;
  /** mirred: `redirect` or `mirror`. */
  readonly mirredAction?: string;
  /** mirred: `egress` or `ingress`. */
  readonly direction?: string;
  /** mirred: the target device. */
  readonly toDev?: string;
  readonly raw: JsonObject;
}

/**
 * One entry of `tc -json filter show`. A u32 filter prints three: the priority, its hash table and
 * the rule itself; only the last has a `handle` like `800::800` and the actions.
 */
export interface TcFilter {
  readonly kind: string;
  readonly parent?: string;
  readonly protocol?: string;
  readonly pref?: number;
  readonly chain?: number;
  /** `fh`, e.g. `800::800`. */
  readonly handle?: string;
  readonly actions: readonly TcAction[];
  readonly raw: JsonObject;
}

export interface ListQdiscsOptions extends NetopsOptions {
  readonly dev?: string;
}

export async function listQdiscs(options: ListQdiscsOptions = {}): Promise<Qdisc[]> {
  const args = ['qdisc', 'show'];
  if (options.dev !== undefined) args.push('dev', options.dev);
  return (await iproute2Json('tc', args, options)).map((raw) => ({
    kind: str(raw, 'kind') ?? '',
    handle: str(raw, 'handle') ?? '',
    // Filtered by dev, tc leaves the dev out of each entry.
    dev: str(raw, 'dev') ?? options.dev,
    parent: str(raw, 'parent'),
    root: raw.root === true,
    raw,
  }));
}

export interface ListFiltersOptions extends NetopsOptions {
  /** `ingress` (default), `egress`, or a parent handle such as `ffff:`. */
  readonly parent?: string;
}

/** The filters attached to `dev` at `parent`. */
export async function listFilters(dev: string, options: ListFiltersOptions = {}): Promise<TcFilter[]> {
  const parent = options.parent ?? 'ingress';
  const where = parent === 'ingress' || parent === 'egress' ? [parent] : ['parent', parent];
  const entries = await iproute2Json('tc', ['filter', 'show', 'dev', dev, ...where], options);
  return entries.map((raw) => {
    const filterOptions = obj(raw, 'options');
    const actions = filterOptions?.actions;
    return {
      kind: str(raw, 'kind') ?? '',
      parent: str(raw, 'parent'),
      protocol: str(raw, 'protocol'),
      pref: num(raw, 'pref'),
      chain: num(raw, 'chain'),
      handle: filterOptions === undefined ? undefined : str(filterOptions, 'fh'),
      actions: Array.isArray(actions) ? actions.filter(isObject).map(toAction) : [],
      raw,
    };
  });
}

function toAction(raw: JsonObject): TcAction {
  return {
    kind: str(raw, 'kind') ?? '',
    order: num(raw, 'order'),
    mirredAction: str(raw, 'mirred_action'),
    direction: str(raw, 'direction'),
    toDev: str(raw, 'to_dev'),
    raw,
  };
}
