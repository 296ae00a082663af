export type { OptionSpec, OptionType, OptionValue, OptionValues } from './option-spec';
