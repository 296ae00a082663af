import type { Logger, LogSink } from './logger';

type PinoLogger = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: object): PinoLogger;
};

/** JSON lines through pino, loaded only when this format is chosen (it costs start-up time). */
export class JsonLogger implements Logger {
  private constructor(private readonly pino: PinoLogger) {}

  static async create(component: string, sink?: LogSink): Promise<JsonLogger> {
    // A dynamic import: bundlers keep it lazy, so text-format runs never initialise pino.
    const { default: pino } = (await import('pino')) as unknown as {
      default: (options: object, stream?: object) => PinoLogger;
    };
    const destination = sink ? { write: (line: string) => sink.write(line) } : undefined;
    return new JsonLogger(pino({ base: undefined, messageKey: 'msg' }, destination).child({ component }));
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
    const parent = this.pino as PinoLogger & { bindings?: () => { component?: string } };
    const base = parent.bindings?.().component;
    return new JsonLogger(this.pino.child({ component: base ? `${base}/${component}` : component }));
  }
}
