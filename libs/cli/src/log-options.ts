import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '@peerpods/log';
import { Option } from 'commander';

export interface LogFlags {
  logFormat: LogFormat;
  logLevel: LogLevel;
}

/**
 * `-log-format text|json` and `-log-level debug|info|warn|error` for a commander program, with the
 * same env vars as cloud-api-adaptor's (LOG_FORMAT, LOG_LEVEL), so one DaemonSet or unit setting
 * reaches every binary. A bad value is a usage error (exit 2).
 */
export function logOptions(): Option[] {
  return [
    new Option('--log-format <format>', "text (upstream's layout) or json (one JSON record a line)")
      .choices(LOG_FORMATS)
      .env('LOG_FORMAT')
      .default('text'),
    new Option('--log-level <level>', 'lines below this level are not written')
      .choices(LOG_LEVELS)
      .env('LOG_LEVEL')
      .default('info'),
  ];
}
