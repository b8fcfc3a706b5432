// Structured logging as an interface; pino fits it through pinoLogger().
import type { Logger as PinoLogger } from 'pino';

/** The logging surface every component takes. `fields` are structured context (never credentials). */
export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

/** A logger that drops everything. */
export const nullLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** Adapts a pino logger (pino takes fields first, message second). */
export function pinoLogger(p: PinoLogger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
  };
}

/** One record kept by a MemoryLogger. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: object | undefined;
}

/** A logger that keeps its records, for tests and for `report()` error tails. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  debug(msg: string, fields?: object): void {
    this.records.push({ level: 'debug', msg, fields });
  }
  info(msg: string, fields?: object): void {
    this.records.push({ level: 'info', msg, fields });
  }
  warn(msg: string, fields?: object): void {
    this.records.push({ level: 'warn', msg, fields });
  }
  error(msg: string, fields?: object): void {
    this.records.push({ level: 'error', msg, fields });
  }
  /** Records at the given level. */
  at(level: LogRecord['level']): LogRecord[] {
    return this.records.filter((r) => r.level === level);
  }
}
