// User records reused for a short time by model-access checks. A user watching many models (an admin's
// dashboard, the controller-wide watchers of a superuser) had one access answer per model cached,
// each looked up again once a second, each reading the same user row: a thousand models cost a
// thousand identical queries a second. Records are reused for USER_CACHE_MS of the injected Clock
// unless the auth service's access epoch moved (any change made through it: at once); a change made
// by another controller on the same database applies within USER_CACHE_MS here. The access cache
// (api/facades/access-cache.ts) sits on top of it, so a superuser demotion or a user removal made
// elsewhere reaches a call within ACCESS_CACHE_MS + USER_CACHE_MS (2 s); grants are read fresh
// (within ACCESS_CACHE_MS). Only found users are kept.
import { ShortLivedCache } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { UserRecord } from '../../state/index.js';

/** How long a user record is reused, ms of the injected Clock. */
export const USER_CACHE_MS = 1000;
/** Records kept at most; the oldest go first (they are also the first to expire). */
export const MAX_CACHED_USERS = 10_000;

/** See the file comment. */
export class UserRecordCache {
  readonly #epoch: () => number;
  readonly #read: (name: string) => Promise<UserRecord | undefined>;
  /** A missing user or a failed read is not kept: the next check asks again. */
  readonly #cache: ShortLivedCache<UserRecord | undefined>;

  constructor(clock: Clock, epoch: () => number, read: (name: string) => Promise<UserRecord | undefined>) {
    this.#epoch = epoch;
    this.#read = read;
    this.#cache = new ShortLivedCache({ clock, ttlMs: USER_CACHE_MS, maxEntries: MAX_CACHED_USERS, keep: (r) => r !== undefined });
  }

  /** The user's record: a lookup within USER_CACHE_MS under the same epoch is shared (in flight too). */
  get(name: string): UserRecord | undefined | Promise<UserRecord | undefined> {
    return this.#cache.get(name, this.#epoch(), () => this.#read(name));
  }

  /** Records held (expired ones included until pruned). */
  get size(): number {
    return this.#cache.size;
  }
}
