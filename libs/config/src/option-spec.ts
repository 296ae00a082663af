/**
 * One configuration option as upstream declares it: a Go-style flag, the environment variable that
 * feeds it, its default, and whether it is a secret. Apps and providers describe their options in
 * tables of these, so the CLI, `help` and the start-up configuration dump all come from one place.
 */
export type OptionType = 'string' | 'bool' | 'int' | 'float' | 'duration' | 'list';

/** Parsed values: durations are milliseconds; lists are string arrays (comma separated on input). */
export type OptionValue = string | number | boolean | readonly string[];

export interface OptionSpec {
  /** Flag name without dashes, exactly as upstream spells it: `aws-region` (typed `-aws-region`). */
  readonly flag: string;
  /** Environment variable read when set and non-empty; upstream's name. */
  readonly env?: string;
  readonly type: OptionType;
  readonly default: OptionValue;
  readonly description: string;
  /** Shown as `**********` in logs and dumps. */
  readonly secret?: boolean;
  /** Startup fails when the resolved value is empty. */
  readonly required?: boolean;
}

/** Resolved values keyed by flag name. */
export type OptionValues = Readonly<Record<string, OptionValue>>;
