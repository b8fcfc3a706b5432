// watchEntities: drives a Follower from an EntitySource, one event at a time — reconcile against the
// view, deliver the calls in order, then onBatchDone (spec/follower.md §3.2–3.6). The diff itself is
// the pure reconcile(); this file owns sequencing, errors, cancellation and releasing the source.
import type { Delta, EntityInfo } from '../core/index.js';
import { NotValidError } from '../core/index.js';
import { FollowerCallbackError } from './callback-error.js';
import type { Follower } from './follower.js';
import { checkFollower, updatedAsNew } from './follower.js';
import type { BatchPuller, DeltaSource } from './from-watcher.js';
import { batchPullerOf } from './from-watcher.js';
import type { FollowerCall, FollowerView } from './reconcile.js';
import { applyCall, callEntity, emptyView, reconcile, reconcileDelta, reconcileDeltas } from './reconcile.js';
import type { EntitySource, WatchEvent } from './watch-event.js';
import { checkWatchEvent, hasPromptReturn } from './watch-event.js';

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
  // The fields a batch reads come first, so that they share as few cache lines as possible: with a
  // thousand followers taking turns, each batch finds its run's object out of the cache.
  // Driven mode (a fromWatcher source, see #drive): the run's settle functions, whether a pull is
  // in flight (an abort then ends the run at once; during a callback it waits), the watcher once
  // it can be called directly, and the puller.
  #settleRun: ((failed: boolean, err: unknown) => void) | undefined;
  #pulling = false;
  #direct: DeltaSource | undefined;
  /**
   * signal.aborted, mirrored by the abort listener (set synchronously by abort(), as aborted is):
   * read after every callback, and a field costs less than the AbortSignal getter.
   */
  #aborted = false;
  /** True from the event carrying lastBacklogged on; never goes back. */
  #synced = false;
  /** key → version last delivered; only this run mutates it, through applyCall. */
  readonly #view: FollowerView = emptyView();
  readonly #follower: Follower;
  /** The follower's onUpdated when simpleFollower made it, and the function it forwards `next` to. */
  readonly #updatedWrapper: unknown;
  readonly #updatedTarget: ((e: EntityInfo) => void | Promise<void>) | undefined;
  #puller: BatchPuller | undefined;
  readonly #iterator: AsyncIterator<WatchEvent>;
  readonly #signal: AbortSignal | undefined;
  /** True once the iterator finished, threw or was returned: it is not returned (again) then. */
  #iteratorDone = false;
  /** Rejects the pull in flight with the abort reason; set only while a pull is pending. */
  #abortPull: ((reason: unknown) => void) | undefined;
  /** The iterator's return() settles a pending next() at once: pulls need no abortable wrapper. */
  readonly #promptReturn: boolean;
  readonly #onAbort = (): void => {
    this.#aborted = true;
    if (this.#promptReturn) this.#release(); // the pending pull then resolves done; run() sees the abort
    else this.#abortPull?.(this.#signal?.reason);
    if (this.#pulling) this.#endRun(this.#signal?.reason); // driven: waiting for the watcher ends at once
  };

  constructor(iterator: AsyncIterator<WatchEvent>, follower: Follower, signal: AbortSignal | undefined) {
    this.#iterator = iterator;
    this.#follower = follower;
    const onUpdated = onUpdatedOf(follower);
    this.#updatedTarget = updatedAsNew(onUpdated);
    this.#updatedWrapper = this.#updatedTarget === undefined ? undefined : onUpdated;
    this.#signal = signal;
    this.#promptReturn = hasPromptReturn(iterator);
  }

  async run(): Promise<void> {
    const signal = this.#signal;
    // One listener for the whole run (not one race per pull: that would leak a reaction per turn).
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#aborted = signal?.aborted === true;
    try {
      if (this.#isAborted()) throw signal?.reason;
      const puller = batchPullerOf(this.#iterator);
      if (puller !== undefined) {
        await this.#drive(puller);
        return;
      }
      for (;;) {
        let step: IteratorResult<WatchEvent>;
        try {
          step = await (signal === undefined || this.#promptReturn ? this.#iterator.next() : this.#pullAbortable());
        } catch (err) {
          if (this.#isAborted()) throw signal?.reason;
          this.#iteratorDone = true; // an iterator that threw is finished; it is not returned
          throw err;
        } finally {
          this.#abortPull = undefined;
        }
        if (this.#isAborted()) throw signal?.reason;
        if (step.done === true) {
          this.#iteratorDone = true;
          return;
        }
        // Synchronous unless a callback returns a promise: an await per batch costs microtask turns.
        const pending = this.#process(step.value);
        if (pending !== undefined) await pending;
      }
    } finally {
      signal?.removeEventListener('abort', this.#onAbort);
      this.#release();
    }
  }

  /**
   * The loop of run() for a fromWatcher source, driven by reactions to the watcher's own promise:
   * per batch no iterator step, no promise or IteratorResult of ours and no async function to
   * resume (the hot path when a thousand followers take turns). Same outcomes as the loop over the
   * iterator: a rejected pull ends the run with its error (the abort reason when aborted), and the
   * abort ends a pending pull at once and a callback's batch once the callback settled.
   */
  #drive(puller: BatchPuller): Promise<void> {
    this.#puller = puller;
    return new Promise<void>((resolve, reject) => {
      this.#settleRun = (failed: boolean, err: unknown): void => (failed ? reject(err) : resolve());
      this.#pullNext();
    });
  }

  /** Settles the driven run once: rejects with `err`, or resolves when called without one. */
  #endRun(...err: [] | [unknown]): void {
    const settle = this.#settleRun;
    if (settle === undefined) return;
    this.#settleRun = undefined;
    this.#pulling = false;
    if (this.#aborted) settle(true, this.#signal?.reason); // the abort reason wins (§3.6)
    else settle(err.length > 0, err[0]);
  }

  /** Pulls the next batch (a field: also the continuation once an async callback's batch is done). */
  readonly #pullNext = (): void => {
    if (this.#settleRun === undefined) return;
    if (this.#aborted) {
      this.#endRun(this.#signal?.reason);
      return;
    }
    try {
      const direct = this.#direct;
      const p = direct !== undefined ? direct.next() : this.#puller?.pull();
      if (p === undefined) {
        this.#iteratorDone = true; // finished: as a step that is done
        this.#endRun();
        return;
      }
      this.#pulling = true;
      p.then(this.#onBatch, this.#onPullError);
    } catch (err) {
      this.#onPullError(err);
    }
  };

  readonly #onBatch = (batch: unknown): void => {
    if (this.#settleRun === undefined) return; // the run ended while the pull was pending
    this.#pulling = false;
    let pending: Promise<void> | undefined;
    try {
      pending = this.#processBatch(batch);
    } catch (err) {
      this.#endRun(err);
      return;
    }
    if (pending === undefined) this.#pullNext();
    else pending.then(this.#pullNext, this.#failRun);
  };

  readonly #onPullError = (err: unknown): void => {
    if (this.#settleRun === undefined) return;
    if (!this.#aborted) this.#puller?.pullFailed(); // an iterator that threw is finished; it is not returned
    this.#iteratorDone = true;
    this.#endRun(this.#aborted ? this.#signal?.reason : err);
  };

  readonly #failRun = (err: unknown): void => this.#endRun(err);

  /**
   * One batch in driven mode. Once the watcher is called directly, its batches are reconciled
   * without building an event (a batch of one change without a calls array); before, a one-change
   * batch the puller vouches for likewise, and any other through the event next() would give.
   */
  #processBatch(batch: unknown): Promise<void> | undefined {
    if (this.#direct !== undefined && Array.isArray(batch)) {
      const deltas = batch as Delta[];
      if (deltas.length !== 1) return this.#deliverFrom(reconcileDeltas(this.#view, deltas, this.#follower), 0);
      return this.#deliverOne(reconcileDelta(this.#view, deltas[0] as Delta, this.#follower));
    }
    const puller = this.#puller as BatchPuller;
    const d = puller.single(batch);
    if (d !== undefined) return this.#deliverOne(reconcileDelta(this.#view, d, this.#follower));
    const pending = this.#process(puller.event(batch));
    this.#direct = puller.direct();
    return pending;
  }

  /** Delivers at most one call, then onBatchDone, as #deliverFrom would for `[call]`. */
  #deliverOne(call: FollowerCall | undefined): Promise<void> | undefined {
    if (call !== undefined) {
      const pending = this.#deliverCall(call);
      if (pending !== undefined) return this.#awaitCall(pending, call, NO_CALLS, 0);
    }
    return this.#deliverFrom(NO_CALLS, 0);
  }

  /** Returns the iterator once, unless it is done. */
  #release(): void {
    if (this.#iteratorDone) return;
    this.#iteratorDone = true;
    releaseIterator(this.#iterator);
  }

  /** The next step of the source, rejected with the abort reason as soon as the signal aborts. */
  #pullAbortable(): Promise<IteratorResult<WatchEvent>> {
    return new Promise<IteratorResult<WatchEvent>>((resolve, reject) => {
      this.#abortPull = reject;
      this.#iterator.next().then(resolve, reject);
    });
  }

  /** One batch: reconcile, then deliver. Returns a promise only once a callback returned one. */
  #process(event: unknown): Promise<void> | undefined {
    checkWatchEvent(event);
    if (event.lastBacklogged === true) this.#synced = true;
    return this.#deliverFrom(reconcile(this.#view, event, this.#follower), 0);
  }

  /** Delivers calls[from…] (committing each to the view), then onBatchDone; sync until a callback is async. */
  #deliverFrom(calls: FollowerCall[], from: number): Promise<void> | undefined {
    for (let i = from; i < calls.length; i++) {
      const call = calls[i];
      if (call === undefined) continue;
      const pending = this.#deliverCall(call);
      if (pending !== undefined) return this.#awaitCall(pending, call, calls, i + 1);
    }
    let pending: PromiseLike<unknown> | undefined;
    try {
      pending = thenable(this.#follower.onBatchDone({ synced: this.#synced }));
    } catch (err) {
      throw this.#failure(undefined, err);
    }
    if (pending !== undefined) return this.#awaitCall(pending, undefined, calls, calls.length + 1);
    this.#throwIfAborted();
    return undefined;
  }

  /**
   * Commits one call to the view and invokes its callback: the callback's promise when it returned
   * one (the caller awaits it), else undefined once the abort flag was checked. Throws #failure().
   */
  #deliverCall(call: FollowerCall): PromiseLike<unknown> | undefined {
    applyCall(this.#view, call);
    let pending: PromiseLike<unknown> | undefined;
    try {
      pending = thenable(this.#invoke(call));
    } catch (err) {
      throw this.#failure(call, err);
    }
    if (pending === undefined) this.#throwIfAborted();
    return pending;
  }

  /** Awaits a callback's promise, then goes on with calls[next…] (past the end: the batch is done). */
  async #awaitCall(pending: PromiseLike<unknown>, call: FollowerCall | undefined, calls: FollowerCall[], next: number): Promise<void> {
    try {
      await pending;
    } catch (err) {
      throw this.#failure(call, err);
    }
    this.#throwIfAborted();
    if (next > calls.length) return;
    const more = this.#deliverFrom(calls, next);
    if (more !== undefined) await more;
  }

  #throwIfAborted(): void {
    if (this.#aborted) throw this.#signal?.reason;
  }

  /** A method, not a field read: the flag changes across awaits, which narrowing cannot see. */
  #isAborted(): boolean {
    return this.#aborted;
  }

  #invoke(call: FollowerCall): unknown {
    switch (call.type) {
      case 'new':
        return this.#follower.onNew(call.next);
      case 'updated': {
        const f = this.#follower;
        // Still simpleFollower's wrapper (the follower object may have been changed since): call its target directly.
        const target = this.#updatedTarget;
        if (target !== undefined && onUpdatedOf(f) === this.#updatedWrapper) return target(call.next);
        return f.onUpdated(call.prev, call.next);
      }
      case 'deleted':
        return this.#follower.onDeleted(call.prev);
    }
  }

  /** What a failed callback ends the run with: the abort reason wins over the callback's error. */
  #failure(call: FollowerCall | undefined, err: unknown): unknown {
    if (this.#aborted) return this.#signal?.reason;
    if (call === undefined) return new FollowerCallbackError('onBatchDone', undefined, err);
    const name = call.type === 'new' ? 'onNew' : call.type === 'updated' ? 'onUpdated' : 'onDeleted';
    return new FollowerCallbackError(name, callEntity(call), err);
  }
}

const NO_CALLS: FollowerCall[] = [];

/** The follower's onUpdated as a value, for identity checks only (never called unbound). */
function onUpdatedOf(follower: Follower): unknown {
  return (follower as unknown as Record<string, unknown>).onUpdated;
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
  return v !== undefined && v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function'
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
