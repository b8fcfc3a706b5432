// A watcher (spec §4): next() batches of deltas from its scope, stop(), async iteration and
// disposal. It holds only a cursor link and its pending calls; batches are computed from the store
// when asked for, so an idle watcher costs a few hundred bytes however many changes it misses.
import type { Delta } from '../core/index.js';
import { deferred } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import type { CursorSink } from './cursor.js';
import { isErrStopped, WATCHER_STOPPED, WatcherStoppedError } from './errors.js';

/** A stream of batches of one scope (a model, or the controller). */
export interface Watcher extends AsyncIterable<Delta[]>, AsyncDisposable {
  /** First call: the full state (possibly []), at once; later calls wait for at least one delta. */
  next(): Promise<Delta[]>;
  /** Idempotent; a pending or later next() rejects with "watcher was stopped". */
  stop(): Promise<void>;
  /**
   * Revision the last batch is consistent at: a database revision when the backing has revisions,
   * else a token of this store instance. Before the first batch: the `since` asked for, or 0.
   */
  revision(): number;
  /** True when the first batch was a full snapshot because `since` could not be resumed from. */
  wasReset(): boolean;
}

/** How a watcher reaches its generation (set by the worker). */
export interface WatcherLink {
  request(): void;
  release(): void;
}

/** The watcher the worker hands out. */
export class MultiwatcherWatcher implements Watcher, CursorSink {
  #link: WatcherLink | undefined;
  /** Pending next() calls, oldest first; undefined when none (the idle case). */
  #pending: Array<Deferred<Delta[]>> | undefined;
  /** Set once the watcher can no longer deliver; every later call rejects with it. */
  #failure: Error | undefined;
  /** An error to give once (restart) before #failure applies. */
  #failOnce: Error | undefined;
  #revision: number;
  #reset = false;

  constructor(since: number | undefined) {
    this.#revision = since ?? 0;
  }

  /** Connects the watcher to its generation. */
  connect(link: WatcherLink): void {
    this.#link = link;
  }

  next(): Promise<Delta[]> {
    if (this.#failOnce !== undefined) {
      const err = this.#failOnce;
      this.#failOnce = undefined;
      return Promise.reject(err);
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const d = deferred<Delta[]>();
    const pending = (this.#pending ??= []);
    pending.push(d);
    if (pending.length === 1) this.#link?.request();
    return d.promise;
  }

  stop(): Promise<void> {
    if (this.#failure === undefined) {
      this.#fail(new WatcherStoppedError(WATCHER_STOPPED), false);
      const link = this.#link;
      this.#link = undefined;
      link?.release();
    }
    this.#failOnce = undefined;
    return Promise.resolve();
  }

  revision(): number {
    return this.#revision;
  }

  wasReset(): boolean {
    return this.#reset;
  }

  deliver(deltas: Delta[], revision: number, reset: boolean): boolean {
    const pending = this.#pending;
    const head = pending?.shift();
    if (pending === undefined || head === undefined) return false;
    this.#revision = revision;
    if (reset) this.#reset = true;
    head.resolve(deltas);
    if (pending.length > 0) return true;
    this.#pending = undefined;
    return false;
  }

  fail(err: Error, once: boolean): void {
    this.#link = undefined;
    this.#fail(err, once);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Delta[], void, undefined> {
    try {
      for (;;) {
        let batch: Delta[];
        try {
          batch = await this.next();
        } catch (err) {
          if (isErrStopped(err)) return;
          throw err;
        }
        yield batch;
      }
    } finally {
      await this.stop(); // leaving the loop early stops the watcher (§4.3)
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Rejects pending calls: the first with err; `once` makes later calls get "watcher was stopped". */
  #fail(err: Error, once: boolean): void {
    if (this.#failure !== undefined) return;
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    this.#failure = once ? new WatcherStoppedError(WATCHER_STOPPED) : err;
    const first = pending.shift();
    if (first === undefined) {
      if (once) this.#failOnce = err;
    } else {
      first.reject(err);
    }
    for (const d of pending) d.reject(this.#failure);
  }
}
