export { addOptions, collectFlags } from './commander-options';
export { DurationError, formatGoDuration, parseGoDuration } from './go-duration';
export type { OptionSpec, OptionType, OptionValue, OptionValues } from './option-spec';
export {
  ConfigError,
  describeOptions,
  type OptionSource,
  optionRecord,
  parseOptionValue,
  REDACTED,
  type ResolvedOptions,
  resolveOptions,
} from './resolve';
