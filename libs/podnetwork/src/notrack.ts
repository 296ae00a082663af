import type { Iptables, NetopsOptions } from '@peerpods/netops';

/** Upstream's chains in the raw table, each jumped to from the built-in chain of the same suffix. */
export const NOTRACK_CHAINS = [
  { from: 'OUTPUT', chain: 'peerpod-OUTPUT', direction: '-d' },
  { from: 'PREROUTING', chain: 'peerpod-PREROUTING', direction: '-s' },
] as const;

export function notrackComment(vni: number): string {
  return `peerpod [vni:${vni}]`;
}

/** The rule in the order `iptables -S` prints it, so that `-C` recognises it. */
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

// Adding and removing are serialised in the process (upstream's global mutex): otherwise the last
// teardown could delete a chain between another setup's ensureChain and its appendRule.
let tail: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const result = tail.then(fn, fn);
  tail = result.catch(() => {});
  return result;
}

/** Chains, jumps and the two NOTRACK rules for the tunnel's UDP flow (idempotent). */
export function addNotrackRules(
  ipt: Iptables,
  tunnel: { remote: string; vni: number; port: number },
  options: NetopsOptions,
): Promise<void> {
  return serialised(async () => {
    for (const { from, chain, direction } of NOTRACK_CHAINS) {
      await ipt.ensureChain('raw', chain, options);
      await ipt.ensureJump('raw', from, chain, options);
      await ipt.appendRule('raw', chain, rule(direction, tunnel.remote, tunnel.vni, tunnel.port), options);
    }
  });
}

/**
 * Deletes every rule of our chains that carries the VNI's comment (whatever its remote), then the
 * chains and their jumps when they are empty. Missing chains or rules are fine.
 */
export function removeNotrackRules(ipt: Iptables, vni: number, options: NetopsOptions): Promise<void> {
  return serialised(async () => {
    const comment = notrackComment(vni);
    const listing = await ipt.listTable('raw', options);
    for (const { chain } of NOTRACK_CHAINS) {
      for (const spec of listing.rules) {
        if (spec[1] === chain && spec.includes(comment))
          await ipt.deleteRule('raw', chain, spec.slice(2), options);
      }
    }
    for (const { chain } of NOTRACK_CHAINS) await ipt.deleteChainIfEmpty('raw', chain, options);
  });
}
