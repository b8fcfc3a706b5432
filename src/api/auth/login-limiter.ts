// Failed-login rate limiting per remote address and per auth tag (spec/protocol.md §9): after
// `maxFailures` failures within `windowMs`, that address or tag is refused for `lockoutMs`.
import type { Clock } from '../../core/index.js';

/** Limits; defaults from the spec (5 failures in 60 s, locked out 60 s). */
export interface LoginLimits {
  maxFailures: number;
  windowMs: number;
  lockoutMs: number;
  /** Bound on tracked keys, so a spray of addresses cannot grow memory without limit. */
  maxTrackedKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailures: 5, windowMs: 60_000, lockoutMs: 60_000, maxTrackedKeys: 100_000 };

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Tracks failures by key (`addr:<ip>`, `tag:<tag>`). */
export class LoginLimiter {
  readonly #clock: Clock;
  readonly #limits: LoginLimits;
  /** Insertion-ordered so the oldest key is evicted first when full. */
  readonly #entries = new Map<string, Entry>();

  constructor(clock: Clock, limits: Partial<LoginLimits> = {}) {
    this.#clock = clock;
    this.#limits = { ...DEFAULT_LOGIN_LIMITS, ...limits };
  }

  /** True when any of the keys is locked out now. */
  isLocked(keys: readonly string[]): boolean {
    const now = this.#clock.now();
    return keys.some((k) => (this.#entries.get(k)?.lockedUntil ?? 0) > now);
  }

  /** Records a failure for each key; locks a key that reached the limit. */
  fail(keys: readonly string[]): void {
    const now = this.#clock.now();
    for (const k of keys) {
      let e = this.#entries.get(k);
      if (e === undefined) {
        if (this.#entries.size >= this.#limits.maxTrackedKeys) {
          const oldest = this.#entries.keys().next().value;
          if (oldest !== undefined) this.#entries.delete(oldest);
        }
        e = { failures: [], lockedUntil: 0 };
        this.#entries.set(k, e);
      }
      e.failures = e.failures.filter((t) => t > now - this.#limits.windowMs);
      e.failures.push(now);
      if (e.failures.length >= this.#limits.maxFailures) {
        e.lockedUntil = now + this.#limits.lockoutMs;
        e.failures = [];
      }
    }
  }

  /** A success resets the key's counter (the tag's; an address keeps its history). */
  succeed(key: string): void {
    this.#entries.delete(key);
  }

  /** Tracked keys (for report()). */
  size(): number {
    return this.#entries.size;
  }
}
