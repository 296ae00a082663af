import { type Command, Option } from 'commander';
import { formatGoDuration } from './go-duration';
import type { OptionSpec } from './option-spec';

function defaultText(spec: OptionSpec): string {
  if (spec.type === 'duration' && typeof spec.default === 'number') return formatGoDuration(spec.default);
  if (Array.isArray(spec.default)) return spec.default.join(',');
  return String(spec.default);
}

/**
 * Declares each option on a commander command as `--flag <value>` (or a boolean `--flag`), with the
 * env var and default in its help. Commander applies no defaults: resolveOptions does, after env.
 */
export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    const flag =
      spec.type === 'bool'
        ? `--${spec.flag}`
        : `--${spec.flag} <${spec.type === 'list' ? 'a,b' : spec.type}>`;
    const notes = [
      spec.env ? `env ${spec.env}` : undefined,
      spec.default !== '' && !(Array.isArray(spec.default) && spec.default.length === 0)
        ? `default ${defaultText(spec)}`
        : undefined,
      spec.required ? 'required' : undefined,
      spec.secret ? 'secret' : undefined,
    ].filter(Boolean);
    command.addOption(new Option(flag, `${spec.description}${notes.length ? ` [${notes.join('; ')}]` : ''}`));
  }
  return command;
}

/** The raw flag values commander collected, keyed by flag name (not camelCase). */
export function collectFlags(
  command: Command,
  specs: readonly OptionSpec[],
): Record<string, string | boolean | undefined> {
  const parsed = command.opts<Record<string, string | boolean | undefined>>();
  const out: Record<string, string | boolean | undefined> = {};
  for (const spec of specs) {
    const key = spec.flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    out[spec.flag] = parsed[key];
  }
  return out;
}
