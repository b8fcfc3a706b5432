// A watcher (spec §4): next() batches of deltas from its scope, stop(), async iteration and
// disposal. It holds only a cursor link and its pending calls; batches are computed from the store
// when asked for, so an idle watcher costs a few hundred bytes however many changes it misses.
import type { Delta } from '../core/index.js';
import type { Cursor, CursorSink } from './cursor.js';
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
  /**
   * Additive marker (not in the contract): true when only the first batch can be a reset, so
   * wasReset() never turns true later. A consumer that diffs reset snapshots against what it has
   * emitted (the follower's fromWatcher) then needs no record of emitted keys: the first batch
   * follows nothing. Absent on watchers that may reset mid-stream (a client resuming over the wire).
   */
  readonly resetsOnlyFirstBatch?: boolean;
}

/** How a watcher reaches its generation: the generation's request/release for its cursor. */
export interface CursorOwner {
  request(c: Cursor): void;
  release(c: Cursor): void;
}

/** A pending next(): its settle functions. */
interface PendingCall {
  resolve(deltas: Delta[]): void;
  reject(err: Error): void;
}

/** The watcher the worker hands out. */
export class MultiwatcherWatcher implements Watcher, CursorSink {
  #owner: CursorOwner | undefined;
  #cursor: Cursor | undefined;
  /** The oldest pending next(); undefined when none (the idle case). */
  #head: PendingCall | undefined;
  /** Further pending next() calls, oldest first; undefined unless calls overlap. */
  #queued: PendingCall[] | undefined;
  /** Set once the watcher can no longer deliver; every later call rejects with it. */
  #failure: Error | undefined;
  /** An error to give once (restart) before #failure applies. */
  #failOnce: Error | undefined;
  #revision: number;
  #reset = false;
  /** Called once when the watcher ends for any reason (removes an abort listener). */
  #onEnd: (() => void) | undefined;

  constructor(since: number | undefined) {
    this.#revision = since ?? 0;
  }

  /** Registers a callback run once when the watcher ends (stopped, failed or killed). */
  onEnd(fn: () => void): void {
    this.#onEnd = fn;
  }

  /** Connects the watcher to its generation. */
  connect(owner: CursorOwner, cursor: Cursor): void {
    this.#owner = owner;
    this.#cursor = cursor;
  }

  next(): Promise<Delta[]> {
    if (this.#failOnce !== undefined) {
      const err = this.#failOnce;
      this.#failOnce = undefined;
      return Promise.reject(err);
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<Delta[]>((resolve, reject) => {
      const call: PendingCall = { resolve, reject };
      if (this.#head !== undefined) {
        (this.#queued ??= []).push(call);
        return;
      }
      this.#head = call;
      if (this.#owner !== undefined && this.#cursor !== undefined) this.#owner.request(this.#cursor);
    });
  }

  stop(): Promise<void> {
    if (this.#failure === undefined) {
      this.#fail(new WatcherStoppedError(WATCHER_STOPPED), false);
      const owner = this.#owner;
      const cursor = this.#cursor;
      this.#disconnect();
      if (owner !== undefined && cursor !== undefined) owner.release(cursor);
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

  /**
   * A generation flags only a cursor's first answer as a reset (Generation#answer: `first && c.reset`).
   * A getter on the prototype: no field per watcher, the instance layout unchanged.
   */
  get resetsOnlyFirstBatch(): true {
    return true;
  }

  deliver(deltas: Delta[], revision: number, reset: boolean): boolean {
    const head = this.#head;
    if (head === undefined) return false;
    this.#revision = revision;
    if (reset) this.#reset = true;
    this.#head = this.#queued?.shift();
    if (this.#queued?.length === 0) this.#queued = undefined;
    head.resolve(deltas);
    return this.#head !== undefined;
  }

  fail(err: Error, once: boolean): void {
    this.#disconnect();
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

  #disconnect(): void {
    this.#owner = undefined;
    this.#cursor = undefined;
  }

  /** Rejects pending calls: the first with err; `once` makes later calls get "watcher was stopped". */
  #fail(err: Error, once: boolean): void {
    if (this.#failure !== undefined) return;
    const first = this.#head;
    const rest = this.#queued ?? [];
    this.#head = undefined;
    this.#queued = undefined;
    this.#failure = once ? new WatcherStoppedError(WATCHER_STOPPED) : err;
    if (first === undefined) {
      if (once) this.#failOnce = err;
    } else {
      first.reject(err);
    }
    for (const call of rest) call.reject(this.#failure);
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
  }
}
