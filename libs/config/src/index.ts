export { addOptions, collectFlags } from './commander-options';
export { DurationError, formatGoDuration, parseGoDuration } from './go-duration';
export { LOG_OPTION_SPECS, logSettings } from './log-options';
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
