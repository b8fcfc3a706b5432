// Answers reused for a short time: a lookup made within `ttlMs` of the injected Clock under the same
// epoch is shared (in flight too), and an answer the caller wants kept comes back as the value itself
// once settled (no promise tick). Answers not kept and failed lookups are forgotten, so the next call
// asks again. Bounded: the oldest entries go first (they are also the first to expire).
import type { Clock } from './clock.js';

/** Options of a ShortLivedCache. */
export interface ShortLivedCacheOptions<V> {
  clock: Clock;
  ttlMs: number;
  maxEntries: number;
  /** True for an answer worth reusing (e.g. a grant, a user found); others are asked again. */
  keep(value: V): boolean;
}

interface Entry<V> {
  readonly at: number;
  readonly epoch: number;
  readonly value: Promise<V>;
  settled: boolean;
  result: V | undefined;
}

/** See the file comment. */
export class ShortLivedCache<V> {
  readonly #o: ShortLivedCacheOptions<V>;
  /** key → entry, in insertion order, which is lookup-time order. */
  readonly #entries = new Map<string, Entry<V>>();

  constructor(o: ShortLivedCacheOptions<V>) {
    this.#o = o;
  }

  /**
   * The answer for `key`: reused when looked up within ttlMs under the same `epoch` (bump the epoch
   * to drop every answer at once), else `lookup()`'s.
   */
  get(key: string, epoch: number, lookup: () => Promise<V>): V | Promise<V> {
    const now = this.#o.clock.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.epoch === epoch && this.#fresh(hit, now)) return hit.settled ? (hit.result as V) : hit.value;
    if (hit !== undefined) this.#entries.delete(key); // re-inserted below, keeping the map in time order
    this.#prune(now);
    const entry: Entry<V> = { at: now, epoch, value: lookup(), settled: false, result: undefined };
    this.#entries.set(key, entry);
    const forget = (): void => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    entry.value.then((v) => {
      if (!this.#o.keep(v)) {
        forget();
        return;
      }
      entry.result = v;
      entry.settled = true;
    }, forget);
    return entry.value;
  }

  /** Entries held (expired ones included until pruned). */
  get size(): number {
    return this.#entries.size;
  }

  #fresh(e: Entry<V>, now: number): boolean {
    return now >= e.at && now - e.at < this.#o.ttlMs;
  }

  #prune(now: number): void {
    for (const [k, e] of this.#entries) {
      if (this.#entries.size < this.#o.maxEntries && this.#fresh(e, now)) break;
      this.#entries.delete(k);
    }
  }
}
