// One generation of the worker (spec §5.2): a fresh store and queue, the backing's listener, the
// initial load and the processing loop, and the cursors of the watchers created for it. A backing
// error ends the generation (run() rejects); the worker fails its watchers and starts a new one.
import type { AllWatcherBacking, BackingChange, Clock, Delta, Logger } from '../core/index.js';
import { asError, deferred } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import type { CursorSink } from './cursor.js';
import { Cursor, WaitingIndex } from './cursor.js';
import type { IngestQueueObserver } from './ingest-queue.js';
import { IngestQueue } from './ingest-queue.js';
import { MAX_CHANGES_PER_SLICE, PROCESS_SLICE_MS } from './limits.js';
import { RevisionMap } from './revision-map.js';
import { MultiwatcherStore } from './store.js';

/** What a generation needs from its worker. */
export interface GenerationConfig {
  backing: AllWatcherBacking;
  clock: Clock;
  logger: Logger;
  retainRevisions: number;
  maxCheckpoints: number;
  /** Unique per store instance (§4.7). */
  epoch: number;
  observer: IngestQueueObserver & { processed(ms: number): void };
}

type Phase = 'new' | 'loading' | 'ready' | 'done';

/** A store, its queue and processing loop, and the cursors reading it. */
export class Generation {
  readonly store: MultiwatcherStore;
  readonly queue: IngestQueue;
  readonly #config: GenerationConfig;
  readonly #revisions: RevisionMap;
  #phase: Phase = 'new';
  /** A backing call is in flight: no answers until it settles (§4.1). */
  #busy = false;
  /** False between changes of one commit: answers wait for its last change (§4.7). */
  #atBoundary = true;
  #stopRequested = false;
  readonly #cursors = new Set<Cursor>();
  readonly #waiting = new WaitingIndex();
  /** Requests that arrived while the store could not answer; checked at the next chance. */
  #unchecked = new Set<Cursor>();
  /** Resolved to wake the loop when a change arrives or a stop is requested. */
  #wake: Deferred<void> | undefined;
  readonly #listener = (change: BackingChange): void => this.#onChange(change);

  constructor(config: GenerationConfig) {
    this.#config = config;
    this.store = new MultiwatcherStore({ logger: config.logger, retainRevisions: config.retainRevisions });
    this.queue = new IngestQueue(config.clock, config.observer);
    this.#revisions = new RevisionMap(config.epoch, config.maxCheckpoints);
  }

  /** Live cursors: created, not released, not failed. */
  get cursorCount(): number {
    return this.#cursors.size;
  }

  /** Adds a cursor; it is bound to the store at once when loaded, else when the load completes. */
  attach(scope: string | undefined, filter: ((d: Delta) => boolean) | undefined, since: number | undefined, sink: CursorSink, shared = false): Cursor {
    const c = new Cursor(scope, filter, since, sink);
    c.shared = shared;
    this.#cursors.add(c);
    if (this.#phase === 'ready') this.#bind(c);
    return c;
  }

  /** The watcher behind c has a pending next(). */
  request(c: Cursor): void {
    if (!this.#cursors.has(c)) return;
    if (this.#answerable()) this.#answer(c);
    else this.#unchecked.add(c);
  }

  /** The watcher behind c stopped: its references are released (§4.3). */
  release(c: Cursor): void {
    if (!this.#cursors.delete(c)) return;
    this.#waiting.delete(c);
    this.#unchecked.delete(c);
    if (c.bound && this.#phase !== 'done') this.store.decReference(c.position, c.scope);
  }

  /** Fails every cursor's watcher and forgets them (their references die with this store). */
  failAll(err: Error, once: boolean): void {
    const cursors = [...this.#cursors];
    this.#cursors.clear();
    this.#unchecked.clear();
    for (const c of cursors) {
      this.#waiting.delete(c);
      c.sink.fail(err, once);
    }
  }

  /** Asks the loop to end after the backing call in flight settles. */
  stop(): void {
    this.#stopRequested = true;
    this.#wake?.resolve();
  }

  /** Loads and processes until stopped (resolves) or a backing call fails (rejects with its error). */
  async run(): Promise<void> {
    const { backing, clock } = this.#config;
    this.#phase = 'loading';
    backing.watch(this.#listener); // before getAll: changes made during the load queue up
    try {
      const snapshotRev = await this.#call(() => backing.getAll(this.store));
      if (this.#stopping()) return;
      this.#revisions.loaded(snapshotRev, this.store.latestRevno);
      this.store.takeTouchedModels();
      this.#phase = 'ready';
      for (const c of this.#cursors) this.#bind(c);
      this.#answerUnchecked();
      let sliceStart = clock.now();
      let inSlice = 0;
      while (!this.#stopping()) {
        const item = this.queue.shift();
        if (item === undefined) {
          this.#wake = deferred();
          await this.#wake.promise;
          this.#wake = undefined;
          continue;
        }
        const start = clock.now();
        await this.#call(() => backing.changed(this.store, item.change));
        this.#config.observer.processed(clock.now() - start);
        if (this.#stopping()) return;
        const head = this.queue.peek();
        this.#atBoundary = this.#revisions.processed(head === undefined, head?.firstRev, this.store.latestRevno, this.store.floor);
        const sliceOver = ++inSlice >= MAX_CHANGES_PER_SLICE || clock.now() - sliceStart >= PROCESS_SLICE_MS;
        // Answer at a commit boundary once the queue is drained or the slice is over, not after every
        // change: under load the changes of a slice share one batch (one frame) per watcher, so the
        // answers' sends cannot starve the loop of the changes it must apply (limits.ts).
        if (this.#atBoundary && (head === undefined || sliceOver)) {
          for (const c of this.#waiting.take(this.store.takeTouchedModels())) this.#answer(c);
          this.#answerUnchecked();
        }
        // Yield between changes so next(), stop() and everything else stay responsive (§5.4); once per
        // slice rather than per change (limits.ts says why).
        if (sliceOver) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = clock.now();
          inSlice = 0;
        }
      }
    } finally {
      this.#phase = 'done';
      this.#wake = undefined;
      backing.unwatch(this.#listener);
    }
  }

  /** Read through a method: the flag changes across awaits, which narrowing cannot see. */
  #stopping(): boolean {
    return this.#stopRequested;
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    this.#busy = true;
    try {
      return await fn();
    } catch (err) {
      throw asError(err);
    } finally {
      this.#busy = false;
    }
  }

  #onChange(change: BackingChange): void {
    if (this.#stopRequested || this.#phase === 'done') return; // after kill or restart: ignored (§5.3)
    this.#revisions.arrived(change.rev);
    this.queue.append(change);
    this.#wake?.resolve();
  }

  #answerable(): boolean {
    return this.#phase === 'ready' && !this.#busy && this.#atBoundary && !this.#stopRequested;
  }

  #answerUnchecked(): void {
    if (this.#unchecked.size === 0) return;
    const cursors = this.#unchecked;
    this.#unchecked = new Set();
    for (const c of cursors) this.#answer(c);
  }

  /** Resolves a cursor's resume request against this store (§4.7). */
  #bind(c: Cursor): void {
    const since = c.since;
    c.since = undefined;
    c.bound = true;
    if (since === undefined) return;
    const position = this.#revisions.resolve(since, this.store.latestRevno, this.store.floor);
    if (position === undefined) {
      c.reset = true; // resync required: the first batch is the full state
      return;
    }
    this.store.addReader(position, c.scope);
    c.position = position;
  }

  /** One synchronous step (§4.1): take the deltas, move the position, count references. */
  #answer(c: Cursor): void {
    if (c.answered && !this.store.hasChangesSince(c.position, c.scope)) {
      this.#waiting.add(c); // the common wake-up-free case: nothing new, no allocation
      return;
    }
    const { deltas, latestRevno } = c.shared ? this.store.sharedChangesSince(c.position, c.scope) : this.store.changesSince(c.position, c.scope);
    if (c.answered && deltas.length === 0) {
      this.#waiting.add(c);
      return;
    }
    this.store.addReference(c.position, c.scope);
    c.position = latestRevno;
    let batch = deltas;
    if (c.filter !== undefined) {
      try {
        batch = deltas.filter(c.filter);
      } catch (err) {
        this.release(c);
        c.sink.fail(asError(err), false);
        return;
      }
    }
    if (c.answered && batch.length === 0) {
      this.#waiting.add(c); // a batch filtered to nothing keeps next() waiting (§2 WatchOptions)
      return;
    }
    const first = !c.answered;
    c.answered = true;
    const more = c.sink.deliver(batch, this.#revisions.current(latestRevno), first && c.reset);
    if (more && this.#cursors.has(c)) this.#waiting.add(c);
  }
}
