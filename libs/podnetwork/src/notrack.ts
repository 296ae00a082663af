import {
  type Iptables,
  type NetopsOptions,
  restoreLine,
  type TableListing,
  targetsChain,
} from '@peerpods/netops';

/** Upstream's chains in the raw table, each jumped to from the built-in chain of the same suffix. */
export const NOTRACK_CHAINS = [
  { from: 'OUTPUT', chain: 'peerpod-OUTPUT', direction: '-d' },
  { from: 'PREROUTING', chain: 'peerpod-PREROUTING', direction: '-s' },
] as const;

export function notrackComment(vni: number): string {
  return `peerpod [vni:${vni}]`;
}

/** The rule in the order `iptables -S` prints it, so that it is recognised in the listing. */
function rule(direction: '-d' | '-s', remote: string, vni: number, port: number): string[] {
  return [
    direction,
    `${remote}/32`,
    '-p',
    'udp',
    '-m',
    'comment',
    '--comment',
    notrackComment(vni),
    '-m',
    'udp',
    '--dport',
    String(port),
    '-j',
    'NOTRACK',
  ];
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

// Adding and removing are serialised in the process (upstream's global mutex): otherwise the last
// teardown could delete a chain between another setup's read of the table and its restore.
let tail: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const result = tail.then(fn, fn);
  tail = result.catch(() => {});
  return result;
}

/**
 * The iptables-restore lines that add what is missing: the chains, their jumps and the two NOTRACK
 * rules for the tunnel's UDP flow (nothing when everything is there).
 */
export function notrackAddLines(
  listing: TableListing,
  tunnel: { remote: string; vni: number; port: number },
): string[] {
  const lines: string[] = [];
  for (const { from, chain, direction } of NOTRACK_CHAINS) {
    // Declaring an existing chain would flush it (legacy): only the missing ones.
    if (!listing.chains.includes(chain)) lines.unshift(`:${chain} - [0:0]`);
    const jump = ['-A', from, '-j', chain];
    if (!listing.rules.some((r) => sameWords(r, jump))) lines.push(restoreLine(jump));
    const notrack = ['-A', chain, ...rule(direction, tunnel.remote, tunnel.vni, tunnel.port)];
    if (!listing.rules.some((r) => sameWords(r, notrack))) lines.push(restoreLine(notrack));
  }
  return lines;
}

/**
 * The iptables-restore lines that delete every rule of our chains carrying the VNI's comment (whatever
 * its remote), then, for a chain left empty, the rules that jump to it and the chain.
 */
export function notrackRemoveLines(listing: TableListing, vni: number): string[] {
  const comment = notrackComment(vni);
  const lines: string[] = [];
  const emptied: string[] = [];
  for (const { chain } of NOTRACK_CHAINS) {
    if (!listing.chains.includes(chain)) continue;
    const rules = listing.rules.filter((r) => r[1] === chain);
    const ours = rules.filter((r) => r.includes(comment));
    for (const r of ours) lines.push(restoreLine(['-D', ...r.slice(1)]));
    if (ours.length === rules.length) emptied.push(chain);
  }
  // Chains already empty before (a half-done teardown) go too, as deleteChainIfEmpty did.
  for (const chain of emptied) {
    for (const r of listing.rules) if (targetsChain(r, chain)) lines.push(restoreLine(['-D', ...r.slice(1)]));
    lines.push(restoreLine(['-X', chain]));
  }
  return lines;
}

/** Chains, jumps and the two NOTRACK rules (idempotent): one table read and at most one restore. */
export function addNotrackRules(
  ipt: Iptables,
  tunnel: { remote: string; vni: number; port: number },
  options: NetopsOptions,
): Promise<void> {
  return serialised(async () => {
    await ipt.editTable('raw', (listing) => notrackAddLines(listing, tunnel), options);
  });
}

/**
 * Deletes every rule of our chains that carries the VNI's comment (whatever its remote), then the
 * chains and their jumps when they are empty. Missing chains or rules are fine: one table read, and
 * a restore only when there is something to delete.
 */
export function removeNotrackRules(ipt: Iptables, vni: number, options: NetopsOptions): Promise<void> {
  return serialised(async () => {
    await ipt.editTable('raw', (listing) => notrackRemoveLines(listing, vni), options);
  });
}
