// watchEntities: drives a Follower from an EntitySource, one event at a time — reconcile against the
// view, deliver the calls in order, then onBatchDone (spec/follower.md §3.2–3.6). The diff itself is
// the pure reconcile(); this file owns sequencing, errors, cancellation and releasing the source.
import { NotValidError } from '../core/index.js';
import { FollowerCallbackError } from './callback-error.js';
import type { Follower } from './follower.js';
import { checkFollower } from './follower.js';
import type { FollowerCall, FollowerView } from './reconcile.js';
import { applyCall, callEntity, reconcile } from './reconcile.js';
import type { EntitySource, WatchEvent } from './watch-event.js';
import { checkWatchEvent } from './watch-event.js';

/** Options of watchEntities. */
export interface WatchEntitiesOptions {
  /** Aborting ends the watch: the promise rejects with `signal.reason` (§3.6). */
  signal?: AbortSignal;
}

/**
 * Follows `source` with `follower` until the source completes (resolves), the signal aborts
 * (rejects with `signal.reason`), the source throws (rejects with that error, unwrapped), or a
 * callback throws (rejects with a FollowerCallbackError whose cause is the thrown value). The
 * source iterator is returned on every termination unless it is done. Starts with an empty view.
 * @throws NotValidError (as a rejection) for a missing source, follower or a malformed event.
 */
export async function watchEntities(source: EntitySource, follower: Follower, opts: WatchEntitiesOptions = {}): Promise<void> {
  checkSource(source);
  checkFollower(follower);
  const signal = checkSignal(opts);
  await new FollowerRun(source[Symbol.asyncIterator](), follower, signal).run();
}

/** One run of watchEntities: its view, its synced flag and its hold on the source iterator. */
class FollowerRun {
  readonly #iterator: AsyncIterator<WatchEvent>;
  readonly #follower: Follower;
  readonly #signal: AbortSignal | undefined;
  /** key → version last delivered; only this run mutates it, through applyCall. */
  readonly #view: FollowerView = new Map();
  /** True from the event carrying lastBacklogged on; never goes back. */
  #synced = false;
  /** True once the iterator finished or threw: it must not be returned then. */
  #iteratorDone = false;
  /** Rejects the pull in flight with the abort reason; set only while a pull is pending. */
  #abortPull: ((reason: unknown) => void) | undefined;
  readonly #onAbort = (): void => {
    this.#abortPull?.(this.#signal?.reason);
  };

  constructor(iterator: AsyncIterator<WatchEvent>, follower: Follower, signal: AbortSignal | undefined) {
    this.#iterator = iterator;
    this.#follower = follower;
    this.#signal = signal;
  }

  async run(): Promise<void> {
    const signal = this.#signal;
    // One listener for the whole run (not one race per pull: that would leak a reaction per turn).
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    try {
      if (signal?.aborted) throw signal.reason;
      for (;;) {
        const step = await this.#pull();
        if (signal?.aborted) throw signal.reason;
        if (step.done === true) {
          this.#iteratorDone = true;
          return;
        }
        await this.#process(step.value);
      }
    } finally {
      signal?.removeEventListener('abort', this.#onAbort);
      if (!this.#iteratorDone) releaseIterator(this.#iterator);
    }
  }

  /** Next step of the source; with a signal, rejects with its reason as soon as it aborts. */
  async #pull(): Promise<IteratorResult<WatchEvent>> {
    try {
      if (this.#signal === undefined) return await this.#iterator.next();
      return await new Promise<IteratorResult<WatchEvent>>((resolve, reject) => {
        this.#abortPull = reject;
        this.#iterator.next().then(resolve, reject);
      });
    } catch (err) {
      if (this.#signal?.aborted === true) throw this.#signal.reason;
      this.#iteratorDone = true; // an iterator that threw is finished; it is not returned
      throw err;
    } finally {
      this.#abortPull = undefined;
    }
  }

  /** One batch: reconcile, deliver each call (committing it to the view), then onBatchDone. */
  async #process(event: unknown): Promise<void> {
    checkWatchEvent(event);
    if (event.lastBacklogged === true) this.#synced = true;
    for (const call of reconcile(this.#view, event, this.#follower)) {
      applyCall(this.#view, call);
      let pending: PromiseLike<unknown> | undefined;
      try {
        pending = thenable(this.#invoke(call));
      } catch (err) {
        throw this.#failure(call, err);
      }
      // Sync callbacks are not awaited: an await per call would cost a microtask each.
      if (pending !== undefined) {
        try {
          await pending;
        } catch (err) {
          throw this.#failure(call, err);
        }
      }
      if (this.#signal?.aborted === true) throw this.#signal.reason;
    }
    let pending: PromiseLike<unknown> | undefined;
    try {
      pending = thenable(this.#follower.onBatchDone({ synced: this.#synced }));
      if (pending !== undefined) await pending;
    } catch (err) {
      throw this.#failure(undefined, err);
    }
    if (this.#signal?.aborted === true) throw this.#signal.reason;
  }

  #invoke(call: FollowerCall): unknown {
    switch (call.type) {
      case 'new':
        return this.#follower.onNew(call.next);
      case 'updated':
        return this.#follower.onUpdated(call.prev, call.next);
      case 'deleted':
        return this.#follower.onDeleted(call.prev);
    }
  }

  /** What a failed callback ends the run with: the abort reason wins over the callback's error. */
  #failure(call: FollowerCall | undefined, err: unknown): unknown {
    if (this.#signal?.aborted === true) return this.#signal.reason;
    if (call === undefined) return new FollowerCallbackError('onBatchDone', undefined, err);
    const name = call.type === 'new' ? 'onNew' : call.type === 'updated' ? 'onUpdated' : 'onDeleted';
    return new FollowerCallbackError(name, callEntity(call), err);
  }
}

/** Calls return() on an iterator that is not done; its outcome is neither awaited nor reported. */
export function releaseIterator(iterator: AsyncIterator<unknown>): void {
  try {
    const r = iterator.return?.();
    if (r !== undefined) r.then(undefined, () => undefined);
  } catch {
    // A failing return() must not mask how the watch ended (§3.5: its errors are ignored).
  }
}

function thenable(v: unknown): PromiseLike<unknown> | undefined {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function'
    ? (v as PromiseLike<unknown>)
    : undefined;
}

/** @throws NotValidError "missing EntitySource not valid". */
export function checkSource(source: unknown): asserts source is EntitySource {
  if (source === null || typeof source !== 'object' || typeof (source as Record<symbol, unknown>)[Symbol.asyncIterator] !== 'function') {
    throw new NotValidError('missing EntitySource not valid');
  }
}

/** @throws NotValidError "options not valid" or "signal not valid: must be an AbortSignal". */
export function checkSignal(opts: unknown): AbortSignal | undefined {
  if (opts === null || typeof opts !== 'object') throw new NotValidError('options not valid: must be an object');
  const signal = (opts as { signal?: unknown }).signal;
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new NotValidError('signal not valid: must be an AbortSignal');
  return signal;
}
