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
import { ShortLivedCache } from '../../core/index.js';
import type { AuthService, ControllerServices, Identity, ModelAccess } from '../services.js';

/** How long a granted model-access answer is reused, ms of the injected Clock. */
export const ACCESS_CACHE_MS = 1000;
/** Answers kept per AuthService at most; the oldest go first (they are also the first to expire). */
export const MAX_CACHED_ACCESS = 100_000;

/** Per AuthService: its answers. Denials and failures are not kept: the next call asks again. */
const caches = new WeakMap<AuthService, ShortLivedCache<ModelAccess | ''>>();

function keyOf(who: Identity, model: string): string {
  return who.kind === 'agent' ? `a\n${who.tag}\n${who.modelUUID}\n${model}` : `u\n${who.tag}\n${model}`;
}

/**
 * The identity's access to the model, looked up at most once per ACCESS_CACHE_MS (shared by every
 * caller with the same services.auth: RPC facades and REST). A fresh answer already settled comes
 * back as the value itself (no promise tick); otherwise the lookup's promise.
 */
export function cachedModelAccess(services: Pick<ControllerServices, 'auth' | 'clock'>, who: Identity, model: string): ModelAccess | '' | Promise<ModelAccess | ''> {
  const { auth, clock } = services;
  let cache = caches.get(auth);
  if (cache === undefined) {
    cache = new ShortLivedCache({ clock, ttlMs: ACCESS_CACHE_MS, maxEntries: MAX_CACHED_ACCESS, keep: (have) => have !== '' });
    caches.set(auth, cache);
  }
  return cache.get(keyOf(who, model), auth.accessEpoch?.() ?? 0, () => auth.modelAccess(who, model));
}
