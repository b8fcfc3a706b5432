// better-sqlite3 is synchronous; the stores' seams are promises. A statement's throw must reach the
// caller as a rejection, never as a synchronous throw out of a Promise-returning method.
import { asError } from '../../core/index.js';

/** Runs a synchronous statement (or transaction) as a promise: a throw becomes a rejection. */
export function runSync<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(asError(err));
  }
}
