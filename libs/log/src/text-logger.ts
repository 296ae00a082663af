import type { Logger, LogSink } from './logger';

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

/** `YYYY/MM/DD HH:MM:SS [component] message`, as Go's log with Lmsgprefix prints it. */
export class TextLogger implements Logger {
  constructor(
    private readonly component: string,
    private readonly sink: LogSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  info(message: string): void {
    this.sink.write(`${goTimestamp(this.now())} [${this.component}] ${message}\n`);
  }

  warn(message: string): void {
    this.info(message);
  }

  error(message: string): void {
    this.info(message);
  }

  child(component: string): Logger {
    return new TextLogger(`${this.component}/${component}`, this.sink, this.now);
  }
}
