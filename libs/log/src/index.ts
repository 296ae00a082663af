import { JsonLogger } from './json-logger';
import type { LogFormat, Logger, LogSink } from './logger';
import { TextLogger } from './text-logger';

export { JsonLogger } from './json-logger';
export type { LogFormat, Logger, LogSink } from './logger';
export { goTimestamp, TextLogger } from './text-logger';

const stdout: LogSink = { write: (line) => process.stdout.write(line) };

/** The root logger for a daemon: upstream's text lines (default) or JSON lines. */
export async function createLogger(
  component: string,
  format: LogFormat = 'text',
  sink: LogSink = stdout,
): Promise<Logger> {
  return format === 'json' ? JsonLogger.create(component, sink) : new TextLogger(component, sink);
}

/** A logger that drops everything, for tests and libraries used without one. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
