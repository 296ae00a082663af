import { basename, dirname, join } from 'node:path';
import { type CommandResult, type CommandRunner, runCommand } from './command';
import { NetopsCommandError } from './errors';
import { type DetectIptablesOptions, detectIptablesBinary, type IptablesBinary } from './iptables-detect';
import { parseTableListing, type RuleSpec, type TableListing, targetsChain } from './iptables-rules';
import { execInNetns, resolveNetns } from './netns';
import type { NetopsOptions } from './options';
import { SerialQueue } from './serial-queue';

/** Tables of iptables; `raw` is the one pod networking uses (NOTRACK for the VXLAN underlay). */
export type IptablesTable = 'raw' | 'filter' | 'nat' | 'mangle' | 'security';

// One queue for the process: compound operations (check, then change) must not interleave, whichever
// Iptables object or namespace they go through.
const queue = new SerialQueue();

/** Finds iptables (see {@link detectIptablesBinary}) and returns an {@link Iptables} that uses it. */
export async function detectIptables(options: DetectIptablesOptions = {}): Promise<Iptables> {
  const binary = await detectIptablesBinary(options);
  return new Iptables(binary, { run: options.run, timeoutMs: options.timeoutMs });
}

/**
 * Idempotent iptables operations, in the caller's namespace or in `options.netns` (through
 * `ip netns exec NAME` or `nsenter --net=PATH`). Every command waits for the xtables lock (`-w`).
 * Rules are argument arrays, compared by iptables itself (`-C`), which compares `-m` matches in
 * order: give them in the same order every time (the order `iptables -S` prints), or an existing rule
 * is not recognised and a second copy is appended.
 */
export class Iptables {
  readonly binary: IptablesBinary;
  private readonly run: CommandRunner;
  private readonly timeoutMs: number | undefined;

  constructor(binary: IptablesBinary, defaults: { run?: CommandRunner; timeoutMs?: number } = {}) {
    this.binary = binary;
    this.run = defaults.run ?? runCommand;
    this.timeoutMs = defaults.timeoutMs;
  }

  get flavour(): IptablesBinary['flavour'] {
    return this.binary.flavour;
  }

  /** `iptables -w -t TABLE ARGS` as is (serialised with the other operations). */
  exec(table: IptablesTable, args: readonly string[], options: NetopsOptions = {}): Promise<CommandResult> {
    return queue.run(() => this.command(table, args, options));
  }

  /** Chains and rules of the table (`-S`). */
  listTable(table: IptablesTable, options: NetopsOptions = {}): Promise<TableListing> {
    return queue.run(() => this.listing(table, options));
  }

  async chainExists(table: IptablesTable, chain: string, options: NetopsOptions = {}): Promise<boolean> {
    return (await this.listTable(table, options)).chains.includes(chain);
  }

  /** Creates the chain unless it exists; true when it created it. */
  ensureChain(table: IptablesTable, chain: string, options: NetopsOptions = {}): Promise<boolean> {
    return queue.run(async () => {
      try {
        await this.command(table, ['-N', chain], options);
        return true;
      } catch (error) {
        if (error instanceof NetopsCommandError && /already exists/i.test(error.stderr)) return false;
        throw error;
      }
    });
  }

  /** Appends `-j chain` to `from` (a built-in chain such as OUTPUT) unless it is there. */
  ensureJump(
    table: IptablesTable,
    from: string,
    chain: string,
    options: NetopsOptions = {},
  ): Promise<boolean> {
    return this.appendRule(table, from, ['-j', chain], options);
  }

  ruleExists(
    table: IptablesTable,
    chain: string,
    rule: RuleSpec,
    options: NetopsOptions = {},
  ): Promise<boolean> {
    return queue.run(() => this.check(table, chain, rule, options));
  }

  /** `-C`, then `-A` unless the rule is there; true when it appended. */
  appendRule(
    table: IptablesTable,
    chain: string,
    rule: RuleSpec,
    options: NetopsOptions = {},
  ): Promise<boolean> {
    return queue.run(async () => {
      if (await this.check(table, chain, rule, options)) return false;
      await this.command(table, ['-A', chain, ...rule], options);
      return true;
    });
  }

  /** Deletes the rule, every copy of it; false when there was none (or no such chain). */
  deleteRule(
    table: IptablesTable,
    chain: string,
    rule: RuleSpec,
    options: NetopsOptions = {},
  ): Promise<boolean> {
    return queue.run(() => this.deleteAll(table, chain, rule, options));
  }

  /**
   * Deletes the chain if it has no rules, after deleting the rules of the table that jump to it.
   * False when the chain does not exist or still has rules.
   */
  deleteChainIfEmpty(table: IptablesTable, chain: string, options: NetopsOptions = {}): Promise<boolean> {
    return queue.run(async () => {
      const listing = await this.listing(table, options);
      if (!listing.chains.includes(chain)) return false;
      if (listing.rules.some((rule) => rule[1] === chain)) return false;
      for (const rule of listing.rules) {
        if (targetsChain(rule, chain)) await this.deleteAll(table, rule[1]!, rule.slice(2), options);
      }
      await this.command(table, ['-X', chain], options);
      return true;
    });
  }

  /**
   * Applies `lines` (iptables-restore commands without the `*table`/`COMMIT` frame, e.g.
   * `:CHAIN - [0:0]`, `-A CHAIN ...`, `-D CHAIN ...`, `-X CHAIN`; see `restoreLine`) with one
   * `iptables-restore -w --noflush`, in one transaction: all lines apply or none. Nothing runs when
   * `lines` is empty. A failure names the line, e.g. `... (line 2: -D peerpod-OUTPUT -d ...)`.
   * Careful: `:CHAIN` on an existing user chain flushes it (legacy); declare only absent chains.
   */
  restore(table: IptablesTable, lines: readonly string[], options: NetopsOptions = {}): Promise<void> {
    return queue.run(() => this.restoreLines(table, lines, options));
  }

  /**
   * Reads the table (`-S`), then applies what `plan` makes of it with one {@link restore}, without
   * another operation of this process in between. Returns the lines applied (none: nothing ran).
   */
  editTable(
    table: IptablesTable,
    plan: (listing: TableListing) => readonly string[],
    options: NetopsOptions = {},
  ): Promise<readonly string[]> {
    return queue.run(async () => {
      const lines = plan(await this.listing(table, options));
      await this.restoreLines(table, lines, options);
      return lines;
    });
  }

  /** The iptables-restore of the same flavour, next to the binary (`iptables` → `iptables-restore`). */
  get restoreBinary(): string {
    return join(dirname(this.binary.path), `${basename(this.binary.path)}-restore`);
  }

  private async restoreLines(table: IptablesTable, lines: readonly string[], options: NetopsOptions) {
    for (const line of lines) {
      if (/[\r\n]/.test(line))
        throw new TypeError(`iptables-restore line contains a newline: ${JSON.stringify(line)}`);
    }
    if (lines.length === 0) return;
    const target = await resolveNetns(options.netns);
    const command = execInNetns(target, this.restoreBinary, ['-w', '--noflush']);
    const run = options.run ?? this.run;
    const input = `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
    try {
      await run(command.file, command.args, { input, timeoutMs: options.timeoutMs ?? this.timeoutMs });
    } catch (error) {
      if (!(error instanceof NetopsCommandError)) throw error;
      // `iptables-restore: line N failed`; line 1 is the `*table` header.
      const match = /line (\d+) failed/.exec(error.stderr);
      const number = match === null ? undefined : Number(match[1]) - 1;
      const text = number === undefined ? undefined : lines[number - 1];
      if (number === undefined || text === undefined) throw error;
      throw error.withFailedLine({ number, text });
    }
  }

  private async listing(table: IptablesTable, options: NetopsOptions): Promise<TableListing> {
    return parseTableListing((await this.command(table, ['-S'], options)).stdout);
  }

  private async check(table: IptablesTable, chain: string, rule: RuleSpec, options: NetopsOptions) {
    try {
      await this.command(table, ['-C', chain, ...rule], options);
      return true;
    } catch (error) {
      if (isAbsent(error)) return false;
      throw error;
    }
  }

  private async deleteAll(table: IptablesTable, chain: string, rule: RuleSpec, options: NetopsOptions) {
    let deleted = false;
    for (;;) {
      try {
        await this.command(table, ['-D', chain, ...rule], options);
        deleted = true;
      } catch (error) {
        if (isAbsent(error)) return deleted;
        throw error;
      }
    }
  }

  private async command(
    table: IptablesTable,
    args: readonly string[],
    options: NetopsOptions,
  ): Promise<CommandResult> {
    const target = await resolveNetns(options.netns);
    const command = execInNetns(target, this.binary.path, ['-w', '-t', table, ...args]);
    const run = options.run ?? this.run;
    return run(command.file, command.args, { timeoutMs: options.timeoutMs ?? this.timeoutMs });
  }
}

/**
 * The ways both backends say "no such rule" to -C and -D: a rule that does not match (exit 1), a chain
 * that does not exist (exit 1 or 2, worded differently by nft and legacy), a jump to a missing chain.
 */
function isAbsent(error: unknown): boolean {
  if (!(error instanceof NetopsCommandError)) return false;
  if (error.exitCode !== 1 && error.exitCode !== 2) return false;
  return /Bad rule \(does a matching rule exist|No chain\/target\/match by that name|does not exist|Couldn't load target/.test(
    error.stderr,
  );
}
