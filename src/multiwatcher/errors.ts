// The two "stopped" errors of the multiwatcher (texts fixed by spec §4.4) and the predicate that
// recognises them, also after they crossed a process boundary as plain messages.
import { ModelwatchError } from '../core/index.js';

/** Message of a watcher that was stopped (by stop(), or after a restart delivered its error). */
export const WATCHER_STOPPED = 'watcher was stopped';
/** Message of a watcher whose worker was killed. */
export const SHARED_STATE_STOPPED = 'shared state watcher was stopped';

/** A stopped watcher or worker; code `Stopped`. */
export class WatcherStoppedError extends ModelwatchError {
  constructor(message: typeof WATCHER_STOPPED | typeof SHARED_STATE_STOPPED) {
    super('Stopped', message);
    this.name = 'WatcherStoppedError';
  }
}

/** True for this module's stopped errors and for any Error whose message is exactly one of the two texts. */
export function isErrStopped(err: unknown): boolean {
  if (err instanceof WatcherStoppedError) return true;
  return err instanceof Error && (err.message === WATCHER_STOPPED || err.message === SHARED_STATE_STOPPED);
}
