// Bearer tokens for REST (`POST /v1/login`): random, in memory only, expiring after a TTL, bounded in
// number. Tokens are kept under their SHA-256, so a heap dump does not hand out live sessions.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/index.js';
import type { Identity } from '../services.js';

interface TokenEntry {
  identity: Identity;
  expiresAt: number;
}

/** Issues and resolves bearer tokens. */
export class TokenStore {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxTokens: number;
  /** sha256(token) → entry; insertion order = issue order, so the first key is the oldest. */
  readonly #tokens = new Map<string, TokenEntry>();

  constructor(clock: Clock, ttlMs: number, maxTokens: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
    this.#maxTokens = Math.max(1, maxTokens);
  }

  /** A new token for identity: 32 random bytes, base64url. */
  issue(identity: Identity): string {
    const token = randomBytes(32).toString('base64url');
    if (this.#tokens.size >= this.#maxTokens) this.#purgeExpired();
    while (this.#tokens.size >= this.#maxTokens) {
      const oldest = this.#tokens.keys().next().value;
      if (oldest === undefined) break;
      this.#tokens.delete(oldest);
    }
    this.#tokens.set(digest(token), { identity, expiresAt: this.#clock.now() + this.#ttlMs });
    return token;
  }

  /** The identity of a live token; undefined when unknown or expired (an expired one is dropped). */
  resolve(token: string): Identity | undefined {
    const key = digest(token);
    const e = this.#tokens.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#tokens.delete(key);
      return undefined;
    }
    return e.identity;
  }

  /** Drops every token of a user's tag (user removed, password changed). */
  revokeTag(tag: string): void {
    for (const [k, e] of this.#tokens) if (e.identity.tag === tag) this.#tokens.delete(k);
  }

  /**
   * Drops the tokens of one agent (password changed). Its tag alone is not enough: `machine-0`
   * names a different agent in every model.
   */
  revokeAgent(modelUUID: string, tag: string): void {
    for (const [k, { identity: id }] of this.#tokens) {
      if (id.kind === 'agent' && id.tag === tag && id.modelUUID === modelUUID) this.#tokens.delete(k);
    }
  }

  /** Live and not-yet-purged expired tokens. */
  get size(): number {
    return this.#tokens.size;
  }

  #purgeExpired(): void {
    const now = this.#clock.now();
    // Issue order is expiry order (one TTL), so the expired ones are a prefix.
    for (const [k, e] of this.#tokens) {
      if (e.expiresAt > now) break;
      this.#tokens.delete(k);
    }
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
