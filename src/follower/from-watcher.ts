// fromWatcher: a multiwatcher watcher as an EntitySource — batches of deltas become WatchEvents, the
// first one flagged as the backlog, removals as tombstones, reset snapshots diffed against the live
// keys already emitted (spec/follower.md §3.9). Following a view is left to watchEntities.
import type { Delta, EntityId, EntityInfo } from '../core/index.js';
import { NotValidError, entityIdOf } from '../core/index.js';
import type { Watcher } from '../multiwatcher/index.js';
import type { EntitySource, WatchEvent } from './watch-event.js';
import { EntityMap } from './entity-map.js';
import { PROMPT_RETURN } from './watch-event.js';

/**
 * What fromWatcher needs of a watcher: a multiwatcher Watcher satisfies it, and so may a client's
 * watcher over the wire or a test's scripted one. `wasReset()`, when
 * present, is read after each batch: a batch is a reset (a full snapshot replacing what came
 * before) when the flag reads true after it and read false after the batch before (or it is the
 * first batch). Edge-triggered so that both shapes work: the multiwatcher's flag, which says once
 * and for all that the first batch was a snapshot, and a resuming client's per-batch flag. RISK:
 * two reset batches back to back from a per-batch flag are seen as one reset and one plain batch.
 */
export interface DeltaSource {
  next(): Promise<Delta[]>;
  stop(): Promise<void>;
  wasReset?(): boolean;
  /**
   * True when only the first batch can be a reset (a multiwatcher Watcher says so): the first batch
   * follows nothing emitted, so its reset diff is empty and fromWatcher keeps no live set.
   */
  readonly resetsOnlyFirstBatch?: boolean;
}

/** The rejection of a second iterator over one fromWatcher source. */
export const ENTITY_SOURCE_IN_USE = 'entity source already in use';
const BATCH_NOT_VALID = 'follower: watcher batch not valid: must be an array of deltas';

/**
 * How watchEntities drives a fromWatcher source without its async iterator: it calls the watcher's
 * next() through pull() and reacts to that promise itself, so a batch costs no iterator step, no
 * promise and IteratorResult of ours and no resumption of an async function. The outcomes are the
 * iterator's: return() still stops the watcher, pull() answers undefined once it did.
 */
export interface BatchPuller {
  /** The watcher's next() itself; undefined once the iteration finished (returned or failed). */
  pull(): Promise<Delta[]> | undefined;
  /** A pull rejected and the consumer did not cause it: stops the watcher, as next() does before rejecting. */
  pullFailed(): void;
  /**
   * The single delta of a batch whose event would hold just that entry with no other effect (not
   * the backlog, no live set to update): the caller reconciles it as the one-entry event. Else undefined.
   */
  single(batch: unknown): Delta | undefined;
  /** The event next() would resolve with for this batch (and its effects); throws NotValidError for a malformed batch. */
  event(batch: unknown): WatchEvent;
  /**
   * The watcher itself once the first batch has passed, when later batches need no bookkeeping
   * here (no live set): the caller may then call its next() and reconcile its batches directly
   * (reconcileDeltas) as long as it owns the iteration. Else undefined.
   */
  direct(): DeltaSource | undefined;
}

/** The BatchPuller behind a fromWatcher source's iterator; undefined for any other iterator. */
export function batchPullerOf(iterator: AsyncIterator<WatchEvent>): BatchPuller | undefined {
  return iterator instanceof WatcherEvents ? iterator : undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Adapts a watcher into a single-use EntitySource. The first iterator owns the watcher; its
 * return() stops the watcher at once (a pending step then resolves done). A rejection of w.next()
 * the consumer did not cause ends the iteration with that error. Memory: O(live entities) for the
 * reset diff, kept only when the watcher has wasReset() and may reset after its first batch.
 * @throws NotValidError "missing Watcher not valid" when w lacks next() or stop().
 */
export function fromWatcher(w: Watcher | DeltaSource): EntitySource {
  const raw: unknown = w;
  if (raw === null || typeof raw !== 'object' || typeof w.next !== 'function' || typeof w.stop !== 'function') {
    throw new NotValidError('missing Watcher not valid');
  }
  let owned = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
      if (owned) return inUseIterator();
      owned = true;
      return new WatcherEvents(w);
    },
  };
}

/** The owning iterator. Hand-written, not a generator: a generator cannot act on return() while a next() is pending. */
class WatcherEvents implements AsyncIterator<WatchEvent>, BatchPuller {
  /** return() stops the watcher, so a pending next() resolves done at once. */
  readonly [PROMPT_RETURN] = true;
  readonly #watcher: DeltaSource;
  #first = true;
  /** Set by return(), or once a step failed: no further w.next() call is made. */
  #finished = false;
  /**
   * Resolvers of the steps whose w.next() is in flight: the usual single one in a field, any
   * overlapping further ones in an array (no array to touch per batch in the common case).
   */
  #pending: Resolver | undefined;
  #morePending: Resolver[] | undefined;
  /**
   * The identities emitted and not tombstoned since; only for watchers that can reset. The value is
   * always `true`: storing the info would write a pointer to a young object into an old table on
   * every change (a write barrier and remembered-set work for the next scavenge).
   */
  #live: EntityMap<true> | undefined;
  /** wasReset() as read after the previous batch (edge detection, see DeltaSource). */
  #resetBefore = false;

  constructor(watcher: DeltaSource) {
    this.#watcher = watcher;
    if (typeof watcher.wasReset === 'function' && watcher.resetsOnlyFirstBatch !== true) this.#live = new EntityMap();
  }

  /** For watchEntities (BatchPuller): w.next() itself; undefined once finished. */
  pull(): Promise<Delta[]> | undefined {
    return this.#finished ? undefined : this.#watcher.next();
  }

  /** For watchEntities (BatchPuller): a pull the consumer did not cause failed; stop the watcher. */
  pullFailed(): void {
    void this.#finish();
  }

  /** For watchEntities (BatchPuller); see there. */
  single(batch: unknown): Delta | undefined {
    if (this.#first || this.#live !== undefined || !Array.isArray(batch) || batch.length !== 1) return undefined;
    return batch[0] as Delta;
  }

  /** For watchEntities (BatchPuller); see there. */
  direct(): DeltaSource | undefined {
    return this.#first || this.#live !== undefined || this.#finished ? undefined : this.#watcher;
  }

  /** For watchEntities (BatchPuller): the event next() would resolve with; a malformed batch stops the watcher and throws. */
  event(batch: unknown): WatchEvent {
    if (!Array.isArray(batch)) {
      void this.#finish();
      throw new NotValidError(BATCH_NOT_VALID);
    }
    return this.#toEvent(batch as Delta[]);
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.#finished) return Promise.resolve(DONE);
    return new Promise<IteratorResult<WatchEvent>>((resolve: Resolver, reject) => {
      if (this.#pending === undefined) this.#pending = resolve;
      else (this.#morePending ??= []).push(resolve);
      this.#watcher.next().then(
        (batch) => {
          if (!this.#settle(resolve)) return; // return() answered this step already
          let event: WatchEvent;
          try {
            event = this.event(batch);
          } catch (err) {
            void this.#finish();
            reject(err);
            return;
          }
          resolve({ done: false, value: event });
        },
        (err: unknown) => {
          if (!this.#settle(resolve)) return;
          void this.#finish();
          reject(err);
        },
      );
    });
  }

  /**
   * Stops the watcher and answers every pending step `done` at once, whatever the watcher does with
   * its pending next(): that is what the PROMPT_RETURN mark promises.
   */
  return(): Promise<IteratorResult<WatchEvent>> {
    const first = this.#pending;
    const more = this.#morePending;
    this.#pending = undefined;
    this.#morePending = undefined;
    first?.(DONE);
    if (more !== undefined) for (const resolve of more) resolve(DONE);
    return this.#finish().then(() => DONE);
  }

  /** Removes a step from the pending ones; false when return() already answered it. */
  #settle(resolve: Resolver): boolean {
    if (this.#pending === resolve) {
      this.#pending = undefined; // the usual case: one step in flight
      return true;
    }
    const more = this.#morePending;
    const i = more === undefined ? -1 : more.indexOf(resolve);
    if (i < 0) return false;
    more?.splice(i, 1);
    return true;
  }

  /** Stops the watcher once, quietly (its outcome must not mask how the iteration ended). */
  #finish(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    this.#finished = true;
    try {
      return this.#watcher.stop().then(undefined, () => undefined);
    } catch {
      return Promise.resolve();
    }
  }

  /** One batch → one event, in batch order; O(batch), O(live + batch) for a reset. */
  #toEvent(batch: Delta[]): WatchEvent {
    const entities: EntityInfo[] = [];
    const tombstones: EntityId[] = [];
    for (const d of batch) {
      // A removal keeps only its id: onDeleted gets the follower's last delivered version.
      if (d.removed) tombstones.push(entityIdOf(d.entity));
      else entities.push(d.entity);
    }
    const live = this.#live;
    if (live !== undefined) {
      const resetNow = this.#watcher.wasReset?.() === true;
      const isReset = resetNow && !this.#resetBefore;
      this.#resetBefore = resetNow;
      if (isReset) this.#live = replaceLive(live, entities, tombstones);
      else {
        // As the follower applies an event: upserts first, then tombstones.
        for (const e of entities) live.set(e, true);
        for (const t of tombstones) live.delete(t);
      }
    }
    if (!this.#first) return { entities, tombstones };
    this.#first = false;
    return { entities, tombstones, lastBacklogged: true };
  }
}

/**
 * A reset snapshot replaces the live set: returns the new one, and appends to `tombstones` one
 * tombstone for every live entity the snapshot lacks and the batch does not tombstone already (§3.7).
 */
function replaceLive(live: EntityMap<true>, entities: readonly EntityInfo[], tombstones: EntityId[]): EntityMap<true> {
  const snapshot = new EntityMap<true>();
  const removed = new EntityMap<true>();
  for (const e of entities) snapshot.set(e, true);
  for (const t of tombstones) {
    snapshot.delete(t);
    removed.set(t, true);
  }
  for (const id of live.ids()) if (!snapshot.has(id) && !removed.has(id)) tombstones.push(id);
  return snapshot;
}

type Resolver = (r: IteratorResult<WatchEvent>) => void;

function inUseIterator(): AsyncIterator<WatchEvent> {
  return {
    next: () => Promise.reject(new Error(ENTITY_SOURCE_IN_USE)),
    return: () => Promise.resolve(DONE),
  };
}
