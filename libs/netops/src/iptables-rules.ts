/** One line of `iptables -S` split into arguments, e.g. `-A OUTPUT -j peerpod-OUTPUT`. */
export type RuleSpec = readonly string[];

/**
 * Splits an `iptables -S` line the way iptables-save quotes it: words separated by spaces, a
 * double-quoted word may contain spaces, and `\"` or `\\` inside quotes stand for the character.
 */
export function splitRuleLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) word += line[++i];
      else if (c === '"') quoted = false;
      else word += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** What `iptables -t TABLE -S` says about a table: its chains and each chain's rules. */
export interface TableListing {
  /** Built-in chains (with a policy) and user chains, in listed order. */
  readonly chains: readonly string[];
  /** Rules as `-A CHAIN ...` specs, in order. */
  readonly rules: readonly RuleSpec[];
}

export function parseTableListing(stdout: string): TableListing {
  const chains: string[] = [];
  const rules: RuleSpec[] = [];
  for (const line of stdout.split('\n')) {
    const words = splitRuleLine(line.trim());
    const [op, chain] = words;
    if (chain === undefined) continue;
    if (op === '-P' || op === '-N') chains.push(chain);
    else if (op === '-A') rules.push(words);
  }
  return { chains, rules };
}

/** Whether the rule (`-A FROM ...`) jumps or goes to `chain`. */
export function targetsChain(rule: RuleSpec, chain: string): boolean {
  for (let i = 2; i < rule.length - 1; i++) {
    if ((rule[i] === '-j' || rule[i] === '-g') && rule[i + 1] === chain) return true;
  }
  return false;
}

/** Quotes a word the way iptables-save does when it has to (spaces, quotes, backslashes). */
export function quoteRuleWord(word: string): string {
  if (word !== '' && !/[\s"'\\]/.test(word)) return word;
  return `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** One iptables-restore line from arguments, e.g. `restoreLine(['-A', 'OUTPUT', '-j', 'X'])`. */
export function restoreLine(words: readonly string[]): string {
  return words.map(quoteRuleWord).join(' ');
}
