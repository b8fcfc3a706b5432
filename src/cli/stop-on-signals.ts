// Graceful shutdown of a long-running command: the first of `signals` calls `stop` once; a second
// one exits at once with code 1 (the operator insists). Other causes (a vanished primary) stop it
// the same way, but never force an exit.
import type { Logger } from '../core/index.js';

/** What stopOnSignals returns: `stopFor(reason)` stops once (later calls do nothing). */
export interface Stopper {
  stopFor(reason: string): void;
}

export function stopOnSignals(logger: Logger, stop: () => void, signals: readonly NodeJS.Signals[]): Stopper {
  let stopping = false;
  const stopFor = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { reason });
    stop();
  };
  for (const signal of signals) {
    process.on(signal, () => {
      if (stopping) {
        process.stderr.write(`modelwatch serve: second ${signal}, exiting at once\n`);
        process.exit(1);
      }
      stopFor(signal);
    });
  }
  return { stopFor };
}
