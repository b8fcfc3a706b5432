// A connection's model-access answer, reused for a short time (spec/protocol.md §9 says access is
// checked on every call; it still is, but a call within ACCESS_CACHE_MS of the last lookup on the same
// connection reuses that lookup). A watcher's Next loop would otherwise query the users store on
// every delta: 10,000 clients at 1,000 commits/s is 10,000 queries/s. Only granted access is kept,
// so a grant applies at once and a revocation within ACCESS_CACHE_MS of the injected Clock.
import type { Identity, ModelAccess } from '../services.js';
import type { FacadeContext } from './context.js';

/** How long one connection reuses a granted model-access answer, ms of the injected Clock. */
export const ACCESS_CACHE_MS = 1000;

interface CachedAccess {
  readonly who: Identity;
  readonly model: string;
  readonly at: number;
  readonly have: Promise<ModelAccess | ''>;
}

/** At most one answer per connection (its model); gone with the connection. */
const cache = new WeakMap<FacadeContext, CachedAccess>();

/** The identity's access to the model, looked up at most once per ACCESS_CACHE_MS per connection. */
export function cachedModelAccess(ctx: FacadeContext, who: Identity, model: string): Promise<ModelAccess | ''> {
  const now = ctx.services.clock.now();
  const hit = cache.get(ctx);
  if (hit !== undefined && hit.who === who && hit.model === model && now - hit.at < ACCESS_CACHE_MS && now >= hit.at) return hit.have;
  const entry: CachedAccess = { who, model, at: now, have: ctx.services.auth.modelAccess(who, model) };
  cache.set(ctx, entry);
  const forget = (): void => {
    if (cache.get(ctx) === entry) cache.delete(ctx);
  };
  // Denials and failures are not reused: the next call asks again.
  entry.have.then((have) => (have === '' ? forget() : undefined), forget);
  return entry.have;
}
