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

type Tunnel = { remote: string; vni: number; port: number };

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

/**
 * The lines that build everything when our chains do not exist: `-N` fails when one does, and then
 * the whole restore applies nothing (a jump to a chain cannot exist without the chain).
 */
export function notrackCreateLines(tunnel: Tunnel): string[] {
  return [
    ...NOTRACK_CHAINS.map(({ chain }) => restoreLine(['-N', chain])),
    ...NOTRACK_CHAINS.map(({ from, chain }) => restoreLine(['-A', from, '-j', chain])),
    ...NOTRACK_CHAINS.map(({ chain, direction }) =>
      restoreLine(['-A', chain, ...rule(direction, tunnel.remote, tunnel.vni, tunnel.port)]),
    ),
  ];
}

/**
 * The lines that delete the tunnel's two rules and, when `last`, the jumps and chains: the restore
 * fails (applying nothing) if a rule is missing or a chain would be left with anything in it.
 */
export function notrackDeleteLines(tunnel: Tunnel, last: boolean): string[] {
  const lines = NOTRACK_CHAINS.map(({ chain, direction }) =>
    restoreLine(['-D', chain, ...rule(direction, tunnel.remote, tunnel.vni, tunnel.port)]),
  );
  if (!last) return lines;
  for (const { from, chain } of NOTRACK_CHAINS) lines.push(restoreLine(['-D', from, '-j', chain]));
  for (const { chain } of NOTRACK_CHAINS) lines.push(restoreLine(['-X', chain]));
  return lines;
}

/**
 * Per host netns (its path; '' for our own), the tunnels whose two rules this process put in our
 * chains and knows to be the only ones with the VNI's comment. For those, removal is one restore
 * without a table read; if the kernel disagrees (a rule or chain changed behind our back), that
 * restore fails as a whole and the read-then-restore path runs instead.
 */
const placed = new Map<string, Map<number, Tunnel>>();

/** Whether a restore applied (one that fails applies nothing; the read path then decides). */
function applied(restore: Promise<void>): Promise<boolean> {
  return restore.then(
    () => true,
    () => false,
  );
}

function placedIn(options: NetopsOptions): Map<number, Tunnel> {
  const key = options.netns ?? '';
  const tunnels = placed.get(key) ?? new Map<number, Tunnel>();
  placed.set(key, tunnels);
  return tunnels;
}

/**
 * Chains, jumps and the two NOTRACK rules (idempotent): when this process has no rules of its own
 * there, one restore that creates everything (it fails if a chain exists), otherwise one table read
 * and at most one restore with what is missing. Resolves whether a NOTRACK rule of the tunnel was
 * added (false: they were there already).
 */
export function addNotrackRules(ipt: Iptables, tunnel: Tunnel, options: NetopsOptions): Promise<boolean> {
  return serialised(async () => {
    const tunnels = placedIn(options);
    if (tunnels.size === 0) {
      if (await applied(ipt.restore('raw', notrackCreateLines(tunnel), options))) {
        tunnels.set(tunnel.vni, tunnel);
        return true;
      }
    }
    let onlyOurs = false;
    const lines = await ipt.editTable(
      'raw',
      (listing) => {
        const comment = notrackComment(tunnel.vni);
        const ours = NOTRACK_CHAINS.map(({ chain, direction }) => [
          '-A',
          chain,
          ...rule(direction, tunnel.remote, tunnel.vni, tunnel.port),
        ]);
        const withComment = listing.rules.filter((r) => r.includes(comment));
        onlyOurs =
          withComment.every((r) => ours.some((o) => sameWords(r, o))) &&
          ours.every((o) => withComment.filter((r) => sameWords(r, o)).length <= 1);
        return notrackAddLines(listing, tunnel);
      },
      options,
    );
    if (onlyOurs) tunnels.set(tunnel.vni, tunnel);
    else tunnels.delete(tunnel.vni);
    return lines.some((line) => line.includes(notrackComment(tunnel.vni)));
  });
}

/**
 * Deletes every rule of our chains that carries the VNI's comment (whatever its remote), then the
 * chains and their jumps when they are empty. Missing chains or rules are fine. For a tunnel this
 * process added, one restore; otherwise one table read and a restore only when there is something
 * to delete.
 */
export function removeNotrackRules(ipt: Iptables, vni: number, options: NetopsOptions): Promise<void> {
  return serialised(async () => {
    const tunnels = placedIn(options);
    const tunnel = tunnels.get(vni);
    tunnels.delete(vni);
    if (tunnel !== undefined) {
      const lines = notrackDeleteLines(tunnel, tunnels.size === 0);
      if (await applied(ipt.restore('raw', lines, options))) return;
    }
    await ipt.editTable('raw', (listing) => notrackRemoveLines(listing, vni), options);
  });
}

/** The VNIs that have a NOTRACK rule in our chains (by the rules' comments). */
export function notrackVnis(listing: TableListing): Set<number> {
  const chains = new Set<string>(NOTRACK_CHAINS.map(({ chain }) => chain));
  const vnis = new Set<number>();
  for (const r of listing.rules) {
    if (!chains.has(r[1] ?? '')) continue;
    for (const word of r) {
      const match = /^peerpod \[vni:(\d+)\]$/.exec(word);
      if (match) vnis.add(Number(match[1]));
    }
  }
  return vnis;
}

/** Whether both NOTRACK rules of the tunnel (and the jumps to their chains) are in place. */
export function hasNotrackRules(listing: TableListing, tunnel: Tunnel): boolean {
  return NOTRACK_CHAINS.every(
    ({ from, chain, direction }) =>
      listing.rules.some((r) => sameWords(r, ['-A', from, '-j', chain])) &&
      listing.rules.some((r) =>
        sameWords(r, ['-A', chain, ...rule(direction, tunnel.remote, tunnel.vni, tunnel.port)]),
      ),
  );
}

/**
 * After a restart: deletes the NOTRACK rules of every VNI not in `keep` (a crashed run's tunnels),
 * and the chains and jumps if nothing is left. One table read, one restore at most. Resolves the
 * VNIs whose rules went.
 */
export function reclaimNotrackRules(
  ipt: Iptables,
  keep: ReadonlySet<number>,
  options: NetopsOptions,
): Promise<number[]> {
  return serialised(async () => {
    const tunnels = placedIn(options);
    let removed: number[] = [];
    await ipt.editTable(
      'raw',
      (listing) => {
        removed = [...notrackVnis(listing)].filter((vni) => !keep.has(vni)).sort((a, b) => a - b);
        if (removed.length === 0) return [];
        // Each VNI's removal as if it were alone, on the listing left by the ones before.
        let current = listing;
        const lines: string[] = [];
        for (const vni of removed) {
          const step = notrackRemoveLines(current, vni);
          lines.push(...step);
          current = applyDeletes(current, step);
        }
        return lines;
      },
      options,
    );
    for (const vni of removed) tunnels.delete(vni);
    return removed;
  });
}

/** The listing once `-D`/`-X` restore lines have applied (for composing several removals). */
function applyDeletes(listing: TableListing, lines: readonly string[]): TableListing {
  const deleted = new Set(lines.filter((l) => l.startsWith('-D ')).map((l) => l.slice(3)));
  const dropped = new Set(lines.filter((l) => l.startsWith('-X ')).map((l) => l.slice(3)));
  return {
    ...listing,
    chains: listing.chains.filter((c) => !dropped.has(c)),
    rules: listing.rules.filter((r) => !deleted.has(restoreLine(r.slice(1)).trim())),
  };
}
