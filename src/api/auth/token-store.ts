// Bearer tokens for REST (`POST /v1/login`): random, expiring after a TTL, bounded in number, and
// persisted by the user store (schema migration 4) as SHA-256 digests only, so a database dump or a
// heap dump hands out no live session. Every controller on one database resolves every token, and a
// restart logs nobody out.
//
// A resolved token is cached for `cacheMs` (a few seconds), so a busy REST client costs no query per
// request. Consequences, by design:
// - a revocation through THIS controller (revoke*, or a bound that dropped tokens) applies at once:
//   it clears the matching cache entries, and a lookup that raced it is not cached;
// - a revocation or removal made on ANOTHER controller sharing the database applies here within
//   `cacheMs` (the cached entry runs out, the next lookup misses in the database);
// - a token issued anywhere resolves here at once (unknown tokens are never cached).
// Expired tokens are deleted lazily, without timers: one presented after its expiry is deleted;
// issue purges them at most once per `purgeIntervalMs` (and on a controller's first issue); and
// the bound purges them first when it is reached.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/index.js';
import type { TokenRecord, UserStore } from '../../state/index.js';
import type { Identity } from '../services.js';
import { parseAuthTag } from './tags.js';

/** Configuration of a TokenStore (the auth service passes its limits). */
export interface TokenStoreConfig {
  clock: Clock;
  users: UserStore;
  /** A token expires this long after issue. */
  ttlMs: number;
  /** Tokens kept in the database; beyond, expired then oldest are dropped (at least 1). */
  maxTokens: number;
  /** How long a resolved token is trusted without a query (0: never cached). */
  cacheMs: number;
  /** Resolved tokens cached at most; beyond, the oldest cached is dropped. */
  maxCachedTokens: number;
  /** Issue purges expired tokens at most this often. */
  purgeIntervalMs: number;
}

interface CachedToken {
  readonly identity: Identity;
  /** Epoch ms: the token's own expiry. */
  readonly expiresAt: number;
  /** Epoch ms: trusted without a query until then (exclusive). */
  readonly cachedUntil: number;
}

/** A well-formed token: 32 bytes in base64url. Anything else is unknown without a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Issues, resolves and revokes bearer tokens. */
export class TokenStore {
  readonly #config: TokenStoreConfig;
  /** digest → resolved identity; insertion order = resolve order, so the first key is the oldest. */
  readonly #cache = new Map<string, CachedToken>();
  /** Bumped after every local revocation: a lookup that started before it does not cache its answer. */
  #revocations = 0;
  /** Tokens in the database as of this controller's last issue, less those it deleted since. */
  #count = 0;
  /** Epoch ms of the last purge on issue; -Infinity: the first issue purges. */
  #lastPurgeAt = Number.NEGATIVE_INFINITY;

  constructor(config: TokenStoreConfig) {
    this.#config = { ...config, maxTokens: Math.max(1, config.maxTokens) };
  }

  /** A new token for identity: 32 random bytes, base64url; stored as its digest. */
  async issue(identity: Identity): Promise<string> {
    const { clock, users, ttlMs, maxTokens, purgeIntervalMs } = this.#config;
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    if (now - this.#lastPurgeAt >= purgeIntervalMs) {
      this.#lastPurgeAt = now;
      await users.purgeExpiredTokens(now);
    }
    const common = { digest: digestOf(token), tag: identity.tag, issuedAt: now, expiresAt: now + ttlMs };
    const record: TokenRecord = identity.kind === 'agent' ? { ...common, kind: 'agent', modelUUID: identity.modelUUID } : { ...common, kind: 'user' };
    const { count, dropped } = await users.putToken(record, maxTokens);
    this.#count = count;
    // The bound dropped tokens we cannot name: none of them may stay cached.
    if (dropped > 0) this.#forget(() => true);
    return token;
  }

  /** The identity of a live token; undefined when unknown or expired (an expired one is deleted). */
  async resolve(token: string): Promise<Identity | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const digest = digestOf(token);
    const cached = this.#cache.get(digest);
    const now = this.#config.clock.now();
    if (cached !== undefined) {
      if (now < cached.cachedUntil && now < cached.expiresAt) return cached.identity;
      this.#cache.delete(digest);
    }
    const revocations = this.#revocations;
    const record = await this.#config.users.getToken(digest);
    if (record === undefined) return undefined;
    if (record.expiresAt <= this.#config.clock.now()) {
      if (await this.#config.users.deleteToken(digest)) this.#count = Math.max(0, this.#count - 1);
      return undefined;
    }
    const identity = await this.#identityOf(record);
    if (identity !== undefined && revocations === this.#revocations) this.#remember(digest, identity, record.expiresAt);
    return identity;
  }

  /** Deletes every token of a user's tag (user removed, password changed). */
  async revokeTag(tag: string): Promise<void> {
    await this.#revoke(() => this.#config.users.deleteUserTokens(tag), (id) => id.kind === 'user' && id.tag === tag);
  }

  /**
   * Deletes the tokens of one agent (password changed). Its tag alone is not enough: `machine-0`
   * names a different agent in every model.
   */
  async revokeAgent(modelUUID: string, tag: string): Promise<void> {
    await this.#revoke(
      () => this.#config.users.deleteAgentTokens(modelUUID, tag),
      (id) => id.kind === 'agent' && id.tag === tag && id.modelUUID === modelUUID,
    );
  }

  /** Deletes the tokens of every agent of a model (the model was removed). */
  async revokeModel(modelUUID: string): Promise<void> {
    await this.#revoke(() => this.#config.users.deleteModelTokens(modelUUID), (id) => id.kind === 'agent' && id.modelUUID === modelUUID);
  }

  /** Drops a user's cached tokens (not the tokens): their identity changed, e.g. controller access. */
  dropCachedTag(tag: string): void {
    this.#forget((id) => id.kind === 'user' && id.tag === tag);
  }

  /**
   * Tokens in the database (live and not-yet-purged expired ones) as this controller last counted
   * them, at its last issue, less those it deleted since; other controllers' issues and deletions
   * show at its next issue.
   */
  get size(): number {
    return this.#count;
  }

  /** Resolved tokens cached now (at most maxCachedTokens). */
  get cached(): number {
    return this.#cache.size;
  }

  /** Deletes in the store, then drops the matching cache entries and voids lookups in flight. */
  async #revoke(remove: () => Promise<number>, match: (id: Identity) => boolean): Promise<void> {
    try {
      this.#count = Math.max(0, this.#count - (await remove()));
    } finally {
      // After the delete, even a failed one: a lookup that read the row before it must not cache it.
      this.#forget(match);
    }
  }

  #forget(match: (id: Identity) => boolean): void {
    this.#revocations++;
    for (const [digest, e] of this.#cache) if (match(e.identity)) this.#cache.delete(digest);
  }

  #remember(digest: string, identity: Identity, expiresAt: number): void {
    const { cacheMs, maxCachedTokens, clock } = this.#config;
    if (cacheMs <= 0 || maxCachedTokens < 1) return;
    this.#cache.delete(digest);
    while (this.#cache.size >= maxCachedTokens) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    this.#cache.set(digest, { identity, expiresAt, cachedUntil: clock.now() + cacheMs });
  }

  /** The identity a stored token stands for; a user's is read afresh (undefined once removed). */
  async #identityOf(t: TokenRecord): Promise<Identity | undefined> {
    const parsed = parseAuthTag(t.tag);
    if (parsed === undefined) return undefined;
    if (t.kind === 'agent') return parsed.kind === 'user' ? undefined : { kind: 'agent', tag: t.tag, agent: parsed, modelUUID: t.modelUUID };
    if (parsed.kind !== 'user') return undefined;
    const u = await this.#config.users.getUser(parsed.name);
    if (u === undefined) return undefined;
    return { kind: 'user', tag: t.tag, name: u.name, displayName: u.displayName, controllerAccess: u.controllerAccess };
  }
}

/** SHA-256 of a token, base64url: what the store keeps and looks up. */
function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
