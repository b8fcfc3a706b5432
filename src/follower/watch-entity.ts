// watchEntity: follows one entity of a source as a pull-style watcher (next/entity/error/close),
// async-iterable and disposable (spec/follower.md §3.8). Deletion ends the watch as an outcome, not
// an error. Diffing whole views is left to watchEntities.
import type { EntityId, EntityInfo } from '../core/index.js';
import { asError, deferred, entityIdOf, sameEntityId, validateEntityId } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import { checkSignal, checkSource, releaseIterator } from './watch-entities.js';
import type { EntitySource, WatchEvent } from './watch-event.js';
import { checkWatchEvent } from './watch-event.js';

/** A watch on one entity; see watchEntity. */
export interface EntityWatcher extends AsyncIterable<EntityInfo | undefined>, Disposable {
  /** Waits for the next state of the entity; false once the watch has ended (see error()). Never rejects. */
  next(): Promise<boolean>;
  /** The state after the last true next(); undefined before it, and once the entity was deleted. */
  entity(): EntityInfo | undefined;
  /** Why the watch ended; undefined while it runs and after a deletion. */
  error(): Error | undefined;
  /** Ends the watch (synchronous, idempotent): returns the source iterator, pending next() resolve false. */
  close(): void;
  /** Calls close(), for `using w = watchEntity(…)` (defined where the runtime has Symbol.dispose). */
  [Symbol.dispose](): void;
}

/** Options of watchEntity. */
export interface WatchEntityOptions {
  /** Aborting ends the watch; error() is then `signal.reason`. */
  signal?: AbortSignal;
}

/** The message of error() after close(); async iteration ends quietly on it. */
export const WATCHER_CLOSED = 'watcher closed';
/** The message of error() when the source completes. */
export const ENTITY_SOURCE_ENDED = 'entity source ended';

/**
 * Follows the entity `id` in `source`: one true next() per event that mentions it (no equality
 * suppression), waiting silently until it first exists; a deletion resolves true with entity()
 * undefined and ends the watch. The source iterator is taken at once and returned on every end.
 * @throws NotValidError for a missing source, an invalid id or options (synchronously).
 */
export function watchEntity(source: EntitySource, id: EntityId, opts: WatchEntityOptions = {}): EntityWatcher {
  checkSource(source);
  validateEntityId(id, 'id');
  const signal = checkSignal(opts);
  return new EntityFollowing(source[Symbol.asyncIterator](), entityIdOf(id), signal);
}

/** What one event says about the followed key. */
type Mention = { readonly deleted: false; readonly info: EntityInfo } | { readonly deleted: true } | undefined;

class EntityFollowing implements EntityWatcher {
  // Installed on the prototype below, only where the runtime defines Symbol.dispose.
  declare [Symbol.dispose]: () => void;
  readonly #iterator: AsyncIterator<WatchEvent>;
  readonly #id: EntityId;
  readonly #signal: AbortSignal | undefined;
  #entity: EntityInfo | undefined;
  /** True once an event has carried the entity: tombstones before that are ignored. */
  #seen = false;
  /** Set once: the watch is over (closed, aborted, failed, source ended or entity deleted). */
  #ended = false;
  #error: Error | undefined;
  /** True when the error came from close(): async iteration then ends without throwing. */
  #closedByCaller = false;
  /** Pending next() calls, answered in call order; the head is the one the pull loop serves. */
  readonly #waiting: Array<Deferred<boolean>> = [];
  #pulling = false;
  readonly #onAbort = (): void => {
    this.#end(asError(this.#signal?.reason));
  };

  constructor(iterator: AsyncIterator<WatchEvent>, id: EntityId, signal: AbortSignal | undefined) {
    this.#iterator = iterator;
    this.#id = id;
    this.#signal = signal;
    if (signal?.aborted === true) this.#end(asError(signal.reason));
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  next(): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    const answer = deferred<boolean>();
    this.#waiting.push(answer);
    if (!this.#pulling) void this.#pullLoop();
    return answer.promise;
  }

  entity(): EntityInfo | undefined {
    return this.#entity;
  }

  error(): Error | undefined {
    return this.#error;
  }

  close(): void {
    if (this.#ended) return;
    this.#closedByCaller = true;
    this.#end(new Error(WATCHER_CLOSED));
  }

  [Symbol.asyncIterator](): AsyncIterator<EntityInfo | undefined> {
    return {
      next: async (): Promise<IteratorResult<EntityInfo | undefined>> => {
        if (await this.next()) return { done: false, value: this.#entity };
        if (this.#error !== undefined && !this.#closedByCaller) throw this.#error;
        return { done: true, value: undefined };
      },
      return: (): Promise<IteratorResult<EntityInfo | undefined>> => {
        this.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** Pulls events while next() calls wait; answers the head one per event that mentions the key. */
  async #pullLoop(): Promise<void> {
    this.#pulling = true;
    try {
      while (!this.#ended && this.#waiting.length > 0) {
        let step: IteratorResult<WatchEvent>;
        try {
          step = await this.#iterator.next();
        } catch (err) {
          this.#end(asError(err), true);
          return;
        }
        // close() or an abort may have ended the watch while the pull was in flight.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- mutated across the await
        if (this.#ended) return;
        if (step.done === true) {
          this.#end(new Error(ENTITY_SOURCE_ENDED), true);
          return;
        }
        let mention: Mention;
        try {
          mention = this.#mentionIn(step.value);
        } catch (err) {
          this.#end(asError(err));
          return;
        }
        if (mention === undefined || (mention.deleted && !this.#seen)) continue;
        this.#seen = true;
        this.#entity = mention.deleted ? undefined : mention.info;
        this.#waiting.shift()?.resolve(true);
        // Deletion is terminal: an outcome, not an error, so error() stays undefined.
        if (mention.deleted) this.#end(undefined);
      }
    } finally {
      this.#pulling = false;
    }
  }

  /** The last entry for the key wins; a tombstone wins over an upsert. O(size of the event). */
  #mentionIn(event: unknown): Mention {
    checkWatchEvent(event);
    for (const t of event.tombstones) if (sameEntityId(t, this.#id)) return { deleted: true };
    for (let i = event.entities.length - 1; i >= 0; i--) {
      const info = event.entities[i];
      if (info !== undefined && sameEntityId(info, this.#id)) return { deleted: false, info };
    }
    return undefined;
  }

  /** Ends the watch once: keeps the first outcome, releases the source, answers waiters false. */
  #end(error: Error | undefined, iteratorDone = false): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (!iteratorDone) releaseIterator(this.#iterator);
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(false);
  }
}

// Disposable where the runtime defines Symbol.dispose (Node ≥ 20.4): `using w = watchEntity(…)`.
if (typeof Symbol.dispose === 'symbol') {
  Object.defineProperty(EntityFollowing.prototype, Symbol.dispose, {
    value(this: EntityFollowing): void {
      this.close();
    },
    writable: true,
    configurable: true,
  });
}
