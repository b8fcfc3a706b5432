// Tunables of the auth service, each with its reason. Tests pass smaller values.
import type { LoginLimits } from './login-limiter.js';
import { DEFAULT_LOGIN_LIMITS } from './login-limiter.js';

/** Limits of createAuthService; every field optional there. */
export interface AuthLimits extends LoginLimits {
  /** A failed login is answered after a delay drawn uniformly from [min, max] ms (spec §9: 0.5–1 s). */
  failureDelayMinMs: number;
  failureDelayMaxMs: number;
  /** Bearer tokens expire this long after issue (24 h: a working day plus margin for a CLI login). */
  tokenTtlMs: number;
  /**
   * Tokens kept in the database (shared by its controllers); beyond, the expired ones and then the
   * oldest are dropped (bounds the table against token minting loops).
   */
  maxTokens: number;
  /**
   * A resolved token is trusted this long without a query (a busy REST client costs none). It is
   * also how long a revocation made on another controller sharing the database may take to apply
   * here, hence a few seconds at most (MAX_TOKEN_CACHE_MS); 0 disables the cache.
   */
  tokenCacheMs: number;
  /** Resolved tokens cached at most (about 200 bytes each); beyond, the oldest is dropped. */
  maxCachedTokens: number;
  /** Expired tokens are purged on issue at most this often (1 h: the table stays near its live size). */
  tokenPurgeIntervalMs: number;
  /**
   * scrypt verifications run at once. Each takes ~16 MiB and ~30 ms of a libuv thread, so an
   * unbounded burst is a memory DoS; 4 = libuv's default thread pool.
   */
  maxConcurrentVerifications: number;
  /** Logins waiting for a verification slot; beyond, `try again` at once (bounds the queue). */
  maxQueuedVerifications: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = Object.freeze({
  ...DEFAULT_LOGIN_LIMITS,
  failureDelayMinMs: 500,
  failureDelayMaxMs: 1000,
  tokenTtlMs: 24 * 60 * 60 * 1000,
  maxTokens: 100_000,
  tokenCacheMs: 2_000,
  maxCachedTokens: 10_000,
  tokenPurgeIntervalMs: 60 * 60 * 1000,
  maxConcurrentVerifications: 4,
  maxQueuedVerifications: 10_000,
});

/** Ceiling of tokenCacheMs: a revocation elsewhere must apply within seconds, not minutes. */
export const MAX_TOKEN_CACHE_MS = 10_000;
