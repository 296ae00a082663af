import { JsonLogger } from './json-logger';
import type { LogFormat, Logger, LogLevel, LogSink } from './logger';
import { TextLogger } from './text-logger';

export { JsonLogger } from './json-logger';
export {
  isLogFormat,
  isLogLevel,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  type LogSink,
  levelEnabled,
} from './logger';
export { goTimestamp, TextLogger } from './text-logger';

const stdout: LogSink = { write: (line) => process.stdout.write(line) };

export interface LoggerOptions {
  /** Upstream's text lines (default) or JSON lines. */
  format?: LogFormat;
  /** Lines below it are dropped; default info. */
  level?: LogLevel;
  /** Where lines go; default stdout. */
  sink?: LogSink;
}

/** The root logger for a daemon. */
export async function createLogger(component: string, options: LoggerOptions = {}): Promise<Logger> {
  const { format = 'text', level = 'info', sink = stdout } = options;
  return format === 'json'
    ? JsonLogger.create(component, sink, level)
    : new TextLogger(component, sink, undefined, level);
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
