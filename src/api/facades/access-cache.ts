// Model-access answers, reused for a short time (spec/protocol.md §9 says access is checked on every
// call; it still is, but a call within ACCESS_CACHE_MS of the last lookup for the same identity and
// model reuses that lookup, whichever connection made it, unless the auth service changed someone's
// access since (its accessEpoch). A watcher's Next loop would otherwise
// query the users store for every batch: 10,000 clients at 1,000 commits/s is ~10,000 queries/s, and
// a per-connection cache would miss (each client gets about one batch a second). Only granted access
// is kept, so a grant applies at once, and so does a revocation made through this controller's auth
// service; one made elsewhere (another controller on the same PostgreSQL) within ACCESS_CACHE_MS
// for a grant, and within ACCESS_CACHE_MS + USER_CACHE_MS for a superuser demotion or a user removal
// (the auth service reuses user rows too: api/auth/user-cache.ts).
import type { AuthService, ControllerServices, Identity, ModelAccess } from '../services.js';

/** How long a granted model-access answer is reused, ms of the injected Clock. */
export const ACCESS_CACHE_MS = 1000;
/** Answers kept per AuthService at most; the oldest go first (they are also the first to expire). */
export const MAX_CACHED_ACCESS = 100_000;

interface CachedAccess {
  readonly at: number;
  /** The auth service's accessEpoch when looked up. */
  readonly epoch: number;
  readonly have: Promise<ModelAccess | ''>;
  /** The answer once the lookup has settled with a grant. */
  settled?: ModelAccess;
}

/** Per AuthService: key → answer, in insertion order, which is lookup-time order. */
const caches = new WeakMap<AuthService, Map<string, CachedAccess>>();

function keyOf(who: Identity, model: string): string {
  return who.kind === 'agent' ? `a\n${who.tag}\n${who.modelUUID}\n${model}` : `u\n${who.tag}\n${model}`;
}

/**
 * The identity's access to the model, looked up at most once per ACCESS_CACHE_MS (shared by every
 * caller with the same services.auth: RPC facades and REST). A fresh answer already settled comes
 * back as the value itself (no promise tick); otherwise the lookup's promise.
 */
export function cachedModelAccess(services: Pick<ControllerServices, 'auth' | 'clock'>, who: Identity, model: string): ModelAccess | Promise<ModelAccess | ''> {
  const { auth, clock } = services;
  let cache = caches.get(auth);
  if (cache === undefined) {
    cache = new Map();
    caches.set(auth, cache);
  }
  const now = clock.now();
  const epoch = auth.accessEpoch?.() ?? 0;
  const key = keyOf(who, model);
  const hit = cache.get(key);
  if (hit !== undefined && now - hit.at < ACCESS_CACHE_MS && now >= hit.at && hit.epoch === epoch) return hit.settled ?? hit.have;
  if (hit !== undefined) cache.delete(key); // re-inserted below, keeping the map in time order
  prune(cache, now);
  const entry: CachedAccess = { at: now, epoch, have: auth.modelAccess(who, model) };
  cache.set(key, entry);
  const forget = (): void => {
    if (cache.get(key) === entry) cache.delete(key);
  };
  // Denials and failures are not reused: the next call asks again.
  entry.have.then((have) => {
    if (have === '') forget();
    else entry.settled = have;
  }, forget);
  return entry.have;
}

/** Drops expired answers from the front, and the oldest while over the bound. */
function prune(cache: Map<string, CachedAccess>, now: number): void {
  for (const [k, v] of cache) {
    if (cache.size < MAX_CACHED_ACCESS && now - v.at < ACCESS_CACHE_MS && now >= v.at) break;
    cache.delete(k);
  }
}
