/**
 * A component logger. Upstream's daemons print one line per event with a `[component]` prefix and
 * no levels; upstream's e2e suite parses those lines, so the text format is the default. Levels
 * exist here for the JSON format and for filtering; in text they only change nothing but `warn`/`error`
 * words the caller chose to write.
 */
export interface Logger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A logger for a sub-component, e.g. `adaptor` → `adaptor/cloud`. */
  child(component: string): Logger;
}

export type LogFormat = 'text' | 'json';

export interface LogSink {
  write(line: string): void;
}
