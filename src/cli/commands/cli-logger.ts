// The CLI's logger: warnings on stderr as one line each; debug and info only with --debug.
import type { Logger } from '../../core/index.js';
import type { TextOut } from './cli-io.js';

/** A Logger writing `modelwatch: <level>: <msg>` lines to `out`. */
export function cliLogger(out: TextOut, debug: boolean): Logger {
  const line = (level: string, msg: string, fields?: object): void => {
    const extra = debug && fields !== undefined ? ` ${JSON.stringify(fields)}` : '';
    out.write(`modelwatch: ${level}: ${msg}${extra}\n`);
  };
  return {
    debug: (msg, fields) => (debug ? line('debug', msg, fields) : undefined),
    info: (msg, fields) => (debug ? line('info', msg, fields) : undefined),
    warn: (msg, fields) => line('warning', msg, fields),
    error: (msg, fields) => line('error', msg, fields),
  };
}
