import { isLogFormat, isLogLevel, type LogFormat, type LogLevel } from '@peerpods/log';
import type { OptionSpec, OptionValues } from './option-spec';
import { ConfigError } from './resolve';

/** `-log-format` and `-log-level` (LOG_FORMAT, LOG_LEVEL) for a binary whose options are OptionSpecs. */
export const LOG_OPTION_SPECS: readonly OptionSpec[] = [
  {
    flag: 'log-format',
    env: 'LOG_FORMAT',
    type: 'string',
    default: 'text',
    description:
      "text (upstream's layout) or json (one JSON record a line, start-up banner and configuration included)",
  },
  {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    type: 'string',
    default: 'info',
    description: 'debug, info, warn or error: lines below it are not written',
  },
];

/** The two values, checked; a bad one is a ConfigError (a usage error) naming the flag. */
export function logSettings(values: OptionValues): { format: LogFormat; level: LogLevel } {
  const format = String(values['log-format'] ?? 'text');
  const level = String(values['log-level'] ?? 'info');
  if (!isLogFormat(format)) {
    throw new ConfigError(`invalid value "${format}" for -log-format: use "text" or "json"`);
  }
  if (!isLogLevel(level)) {
    throw new ConfigError(`invalid value "${level}" for -log-level: use "debug", "info", "warn" or "error"`);
  }
  return { format, level };
}
