import { type Logger, type LogLevel, type LogSink, levelEnabled } from './logger';

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Go's log.LstdFlags timestamp: local time, `2006/01/02 15:04:05`. */
export function goTimestamp(date: Date): string {
  return (
    `${date.getFullYear()}/${two(date.getMonth() + 1)}/${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

const MARK: Readonly<Record<LogLevel, string>> = {
  debug: 'DEBUG: ',
  info: '',
  warn: 'WARNING: ',
  error: 'ERROR: ',
};

/**
 * `YYYY/MM/DD HH:MM:SS [component] message`, as Go's log with Lmsgprefix prints it; warnings, errors
 * and debug lines carry their level after the component. Fields are not printed in text.
 */
export class TextLogger implements Logger {
  constructor(
    private readonly component: string,
    private readonly sink: LogSink,
    private readonly now: () => Date = () => new Date(),
    private readonly level: LogLevel = 'info',
  ) {}

  private write(level: LogLevel, message: string): void {
    if (!levelEnabled(level, this.level)) return;
    this.sink.write(`${goTimestamp(this.now())} [${this.component}] ${MARK[level]}${message}\n`);
  }

  debug(message: string): void {
    this.write('debug', message);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  child(component: string): Logger {
    return new TextLogger(`${this.component}/${component}`, this.sink, this.now, this.level);
  }
}
