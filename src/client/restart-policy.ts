// Which failures a long-polled watcher survives by starting again on the server (resuming from its
// revision), and which end it. Shared by the delta and presence watchers.
import { ModelwatchError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';
import { ConnectionLostError } from './client-error.js';

/** Errors no retry can fix: they end the watcher and reach its consumer. */
const FATAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['Unauthorized', 'PermissionDenied', 'BadRequest', 'NotImplemented', 'NotValid']);

/** What to do after a failed call on the server watcher. */
export type Recovery = 'redial' | 'restart' | 'fail';

/**
 * `redial`: the connection dropped (the session backs off); `restart`: the server stopped the
 * watcher (backing failure, shutdown, unknown id): start a new one after a back-off; `fail`: give up.
 */
export function recoveryFor(err: unknown): Recovery {
  if (err instanceof ConnectionLostError) return 'redial';
  if (err instanceof ModelwatchError && FATAL.has(err.code)) return 'fail';
  return 'restart';
}
