import type { Logger, LogLevel, LogSink } from './logger';

type LogMethod = (fields: object, message: string) => void;
type PinoLogger = Record<LogLevel, LogMethod> & { child(bindings: object): PinoLogger };

/**
 * JSON lines through pino, loaded only when this format is chosen (it costs start-up time):
 * `{"level":"warn","time":"2026-12-06T12:00:00.000Z","component":"adaptor/cloud","msg":"…",…fields}`.
 */
export class JsonLogger implements Logger {
  private constructor(
    private readonly pino: PinoLogger,
    private readonly component: string,
  ) {}

  static async create(component: string, sink?: LogSink, level: LogLevel = 'info'): Promise<JsonLogger> {
    // A dynamic import: bundlers keep it lazy, so text-format runs never initialise pino.
    const { default: pino } = (await import('pino')) as unknown as {
      default: ((options: object, stream?: object) => PinoLogger) & {
        stdTimeFunctions: { isoTime: () => string };
      };
    };
    const destination = sink ? { write: (line: string) => sink.write(line) } : undefined;
    const root = pino(
      {
        base: undefined,
        level,
        messageKey: 'msg',
        // Level names, not pino's numbers: what an operator filters on (`jq 'select(.level=="warn")'`).
        formatters: { level: (label: string) => ({ level: label }) },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      destination,
    );
    return new JsonLogger(root.child({ component }), component);
  }

  debug(message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.pino.debug(fields, message);
  }

  info(message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.pino.info(fields, message);
  }

  warn(message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.pino.warn(fields, message);
  }

  error(message: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.pino.error(fields, message);
  }

  child(component: string): Logger {
    const name = `${this.component}/${component}`;
    return new JsonLogger(this.pino.child({ component: name }), name);
  }
}
