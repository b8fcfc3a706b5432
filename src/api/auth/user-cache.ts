// User records reused for a short time by model-access checks. A user watching many models (an admin's
// dashboard, the controller-wide watchers of a superuser) had one access answer per model cached,
// each looked up again once a second, each reading the same user row: a thousand models cost a
// thousand identical queries a second. Records are reused for USER_CACHE_MS of the injected Clock
// unless the auth service's access epoch moved (any change made through it: at once); a change made
// by another controller on the same database applies within USER_CACHE_MS here. The access cache
// (api/facades/access-cache.ts) sits on top of it, so a superuser demotion or a user removal made
// elsewhere reaches a call within ACCESS_CACHE_MS + USER_CACHE_MS (2 s); grants are read fresh
// (within ACCESS_CACHE_MS). Only found users are kept.
import type { Clock } from '../../core/index.js';
import type { UserRecord } from '../../state/index.js';

/** How long a user record is reused, ms of the injected Clock. */
export const USER_CACHE_MS = 1000;
/** Records kept at most; the oldest go first (they are also the first to expire). */
export const MAX_CACHED_USERS = 10_000;

interface Cached {
  readonly at: number;
  readonly epoch: number;
  readonly record: Promise<UserRecord | undefined>;
}

/** See the file comment. */
export class UserRecordCache {
  readonly #clock: Clock;
  readonly #epoch: () => number;
  readonly #read: (name: string) => Promise<UserRecord | undefined>;
  /** name → lookup, in lookup-time order. */
  readonly #cached = new Map<string, Cached>();

  constructor(clock: Clock, epoch: () => number, read: (name: string) => Promise<UserRecord | undefined>) {
    this.#clock = clock;
    this.#epoch = epoch;
    this.#read = read;
  }

  /** The user's record: a lookup within USER_CACHE_MS under the same epoch is shared (in flight too). */
  get(name: string): Promise<UserRecord | undefined> {
    const now = this.#clock.now();
    const epoch = this.#epoch();
    const hit = this.#cached.get(name);
    if (hit !== undefined && hit.epoch === epoch && now >= hit.at && now - hit.at < USER_CACHE_MS) return hit.record;
    if (hit !== undefined) this.#cached.delete(name); // re-inserted below, keeping the map in time order
    this.#prune(now);
    const entry: Cached = { at: now, epoch, record: this.#read(name) };
    this.#cached.set(name, entry);
    const forget = (): void => {
      if (this.#cached.get(name) === entry) this.#cached.delete(name);
    };
    // A missing user or a failed read is not reused: the next check asks again.
    entry.record.then((r) => {
      if (r === undefined) forget();
    }, forget);
    return entry.record;
  }

  /** Records held (expired ones included until pruned). */
  get size(): number {
    return this.#cached.size;
  }

  #prune(now: number): void {
    for (const [k, v] of this.#cached) {
      if (this.#cached.size < MAX_CACHED_USERS && now - v.at < USER_CACHE_MS && now >= v.at) break;
      this.#cached.delete(k);
    }
  }
}
