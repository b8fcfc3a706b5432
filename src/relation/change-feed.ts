// How the sender and the peeker read a source's change stream: at most one `next()` outstanding,
// its settled result buffered until the loop applies it, and a latch that wakes the loop.
import { ModelwatchError, asError, deferred } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import type { RelationUnitsChange } from './hook.js';

type Arrival = { type: 'change'; change: RelationUnitsChange } | { type: 'end' } | { type: 'error'; error: Error };

/** The stream completed: a watcher must not close its changes without an error. */
function stoppedProvidingError(): ModelwatchError {
  return new ModelwatchError('Internal', 'hook source stopped providing updates');
}

/**
 * A one-slot wake-up latch. Every waker (a change arriving, a hook delivered, a pull, stop) signals
 * it, so the loop awaits one fresh promise per turn and never races a long-lived promise (which
 * would leak a reaction per turn).
 */
export class Wake {
  #latched = false;
  #waiter: Deferred<void> | undefined;

  signal(): void {
    if (this.#waiter === undefined) {
      this.#latched = true;
      return;
    }
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter.resolve();
  }

  wait(): Promise<void> {
    if (this.#latched) {
      this.#latched = false;
      return Promise.resolve();
    }
    this.#waiter ??= deferred<void>();
    return this.#waiter.promise;
  }
}

/** One event-loop turn: every promise chain that needs no I/O settles before it ends. */
function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Reads a change stream one `next()` at a time for a loop that applies changes between hooks. */
export class ChangeFeed {
  readonly #iterator: AsyncIterator<RelationUnitsChange>;
  readonly #wake: Wake;
  /** A `next()` is pending; never more than one. */
  #outstanding = false;
  /** Settled and not yet taken. While set, nothing more is pulled: further changes wait upstream. */
  #arrived: Arrival | undefined;
  #closed = false;

  constructor(changes: AsyncIterable<RelationUnitsChange>, wake: Wake) {
    this.#iterator = changes[Symbol.asyncIterator]();
    this.#wake = wake;
  }

  /** Pulls the next change unless one is pending or buffered. */
  request(): void {
    if (this.#outstanding || this.#arrived !== undefined || this.#closed) return;
    this.#outstanding = true;
    let pending: Promise<IteratorResult<RelationUnitsChange>>;
    try {
      pending = this.#iterator.next();
    } catch (err) {
      this.#settle({ type: 'error', error: asError(err) });
      return;
    }
    pending.then(
      (r) => this.#settle(r.done === true ? { type: 'end' } : { type: 'change', change: r.value }),
      (err: unknown) => this.#settle({ type: 'error', error: asError(err) }),
    );
  }

  #settle(arrival: Arrival): void {
    this.#outstanding = false;
    if (this.#closed) return;
    this.#arrived = arrival;
    this.#wake.signal();
  }

  /**
   * Applies every change that has already arrived, then pulls the next. After each change it
   * gives the next one an event-loop turn to arrive, so changes queued while a hook ran are all
   * applied (and coalesced) before the next hook is computed. Returns false when `stopping()`
   * turned true meanwhile.
   * @throws the stream's error, `hook source stopped providing updates` at its end, or `apply`'s.
   */
  async applyArrived(apply: (change: RelationUnitsChange) => void, stopping: () => boolean): Promise<boolean> {
    for (;;) {
      const arrival = this.#arrived;
      if (arrival === undefined) return true;
      this.#arrived = undefined;
      if (arrival.type === 'error') throw arrival.error;
      if (arrival.type === 'end') throw stoppedProvidingError();
      apply(arrival.change);
      this.request();
      if (!this.#hasArrival()) await eventLoopTurn();
      if (stopping()) return false;
    }
  }

  #hasArrival(): boolean {
    return this.#arrived !== undefined;
  }

  /** Stops reading: ends the iteration (not awaited: a generator's return waits for its pending next). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#arrived = undefined;
    try {
      this.#iterator.return?.().catch(() => undefined);
    } catch {
      // A throwing return() changes nothing for a loop that is ending.
    }
  }
}
