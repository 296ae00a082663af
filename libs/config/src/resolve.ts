import { parseGoBool, UsageError } from '@peerpods/cli';
import { DurationError, formatGoDuration, parseGoDuration } from './go-duration';
import type { OptionSpec, OptionValue, OptionValues } from './option-spec';

/** A bad flag or env var value: a usage error (exit 2). */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

export type OptionSource = 'default' | 'env' | 'flag';

export interface ResolvedOptions {
  values: OptionValues;
  sources: Readonly<Record<string, OptionSource>>;
}

/** Parses one textual value for an option; the error names the flag (and the env var when it came from there). */
export function parseOptionValue(spec: OptionSpec, text: string, from: string): OptionValue {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid value "${text}" for ${from}: ${why}`);
  };
  switch (spec.type) {
    case 'string':
      return text;
    case 'bool': {
      const parsed = parseGoBool(text);
      return parsed ?? fail('expected true or false');
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(text.trim())) fail('expected an integer');
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : fail('out of range');
    }
    case 'float': {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) ? value : fail('expected a number');
    }
    case 'duration':
      try {
        return parseGoDuration(text);
      } catch (error) {
        return fail(error instanceof DurationError ? error.message : String(error));
      }
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
  }
}

function envBool(text: string): boolean {
  // Upstream reads boolean env vars as: `1` or `true` (any case) is true, anything else false.
  return text === '1' || text.toLowerCase() === 'true';
}

/**
 * Resolves every option with upstream's precedence: default < env var (when set and non-empty)
 * < command-line flag. `flags` holds the raw text commander collected (booleans as true/false).
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  const values: Record<string, OptionValue> = {};
  const sources: Record<string, OptionSource> = {};
  for (const spec of specs) {
    let value: OptionValue = spec.default;
    let source: OptionSource = 'default';
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (spec.env && fromEnv !== undefined && fromEnv !== '') {
      value =
        spec.type === 'bool'
          ? envBool(fromEnv)
          : parseOptionValue(spec, fromEnv, `${spec.env} (-${spec.flag})`);
      source = 'env';
    }
    const fromFlag = flags[spec.flag];
    if (fromFlag !== undefined) {
      value = typeof fromFlag === 'boolean' ? fromFlag : parseOptionValue(spec, fromFlag, `-${spec.flag}`);
      source = 'flag';
    }
    if (spec.required && (value === '' || (Array.isArray(value) && value.length === 0))) {
      throw new ConfigError(
        `-${spec.flag} is required${spec.env ? ` (or set ${spec.env})` : ''}: ${spec.description}`,
      );
    }
    values[spec.flag] = value;
    sources[spec.flag] = source;
  }
  return { values, sources };
}

export const REDACTED = '**********';

/** One line per option for the start-up log, secrets shown as `**********`. */
export function describeOptions(specs: readonly OptionSpec[], values: OptionValues): string[] {
  return Object.entries(optionRecord(specs, values)).map(([flag, shown]) => `${flag}: ${shown}`);
}

/** The same as one record (flag → value as printed, secrets redacted), for a JSON log line. */
export function optionRecord(specs: readonly OptionSpec[], values: OptionValues): Record<string, string> {
  const record: Record<string, string> = {};
  for (const spec of specs) {
    const value = values[spec.flag];
    let shown: string;
    if (spec.secret && value !== '' && value !== undefined) shown = REDACTED;
    else if (spec.type === 'duration' && typeof value === 'number') shown = formatGoDuration(value);
    else if (Array.isArray(value)) shown = value.join(',');
    else shown = String(value);
    record[spec.flag] = shown;
  }
  return record;
}
