import { type Command, Option } from 'commander';
import { UsageError } from './usage-error';

/**
 * Upstream's binaries use Go's `flag` package, so users type `-socket /x`, `-socket=/x`,
 * `-disable-tls` and `-disable-tls=false`. Commander only knows `--socket`. These helpers
 * translate Go-style arguments before commander sees them, for every option the command
 * tree declares, so each app gets the same behaviour without per-flag code.
 */

const GO_TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/** Parses a boolean the way Go's strconv.ParseBool does; undefined when it is not one. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}

interface LongOptionInfo {
  takesValue: boolean;
  hasNegation: boolean;
}

function collectLongOptions(root: Command): Map<string, LongOptionInfo> {
  // Commander keeps its help option apart from the declared ones; Go programs answer `-help` too.
  const found = new Map<string, LongOptionInfo>([['help', { takesValue: false, hasNegation: false }]]);
  const visit = (command: Command): void => {
    for (const option of command.options) {
      if (!option.long) continue;
      const name = option.long.slice(2);
      if (option.negate) {
        const positive = name.slice('no-'.length);
        const info = found.get(positive) ?? { takesValue: false, hasNegation: false };
        found.set(positive, { ...info, hasNegation: true });
        continue;
      }
      const info = found.get(name);
      found.set(name, {
        takesValue: option.required || option.optional,
        hasNegation: info?.hasNegation ?? false,
      });
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
  return found;
}

/**
 * Adds a hidden `--no-<name>` twin to every boolean option that lacks one, so that
 * `-flag=false` can be expressed to commander. Call once, after all options are declared.
 */
export function addBooleanNegations(root: Command): void {
  const visit = (command: Command): void => {
    const longs = new Set(command.options.map((o) => o.long));
    for (const option of [...command.options]) {
      if (!option.long || option.negate || option.required || option.optional) continue;
      const negation = `--no-${option.long.slice(2)}`;
      if (longs.has(negation)) continue;
      command.addOption(new Option(negation).hideHelp());
      longs.add(negation);
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
}

export class GoFlagError extends UsageError {
  override name = 'GoFlagError';
}

/**
 * Rewrites Go-style arguments into commander's GNU style:
 * `-name` → `--name`, `-name=v` → `--name=v`, and for booleans `--name=true` → `--name`,
 * `--name=false` → `--no-name`. Only names declared somewhere in the command tree are touched,
 * so short options (`-t 5`) and positional arguments pass through unchanged. Parsing stops at `--`.
 */
export function normalizeGoFlags(argv: readonly string[], root: Command): string[] {
  const options = collectLongOptions(root);
  const out: string[] = [];
  let expectValue = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (expectValue) {
      out.push(arg);
      expectValue = false;
      continue;
    }
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const match = /^--?([A-Za-z0-9][A-Za-z0-9._-]+)(?:=(.*))?$/s.exec(arg);
    const name = match?.[1];
    const info = name === undefined ? undefined : options.get(name);
    if (!match || name === undefined || !info) {
      out.push(arg);
      continue;
    }
    const value = match[2];
    if (info.takesValue) {
      out.push(value === undefined ? `--${name}` : `--${name}=${value}`);
      expectValue = value === undefined;
      continue;
    }
    if (value === undefined) {
      out.push(`--${name}`);
      continue;
    }
    const parsed = parseGoBool(value);
    if (parsed === undefined) {
      throw new GoFlagError(`invalid boolean value "${value}" for -${name}: parse error`);
    }
    if (parsed) out.push(`--${name}`);
    else if (info.hasNegation) out.push(`--no-${name}`);
    // A false value for a flag without a negation is the default already: drop it.
  }
  return out;
}
