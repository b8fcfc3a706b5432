// The client's tunables and their reasons. Tests pass smaller values.
import { NotValidError } from '../core/index.js';
import type { BackoffLimits } from './backoff.js';

/** Client limits (all ms). */
export interface ClientLimits extends BackoffLimits {
  /** Opening a socket and logging in must finish within this, else the dial counts as failed. */
  dialTimeoutMs: number;
  /**
   * A connection resets the reconnect back-off only after it has stayed up this long (timed on the
   * Clock); one that closes sooner counts as a failed dial. A successful Login alone is not enough:
   * a controller that accepts the login and then drops the socket (a removed model, a flapping
   * proxy) would otherwise be redialed in a hot loop.
   */
  stableAfterMs: number;
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = Object.freeze({
  // 100 ms: a restarted controller on the same host is usually back within a few hundred ms.
  initialDelayMs: 100,
  // 10 s: keeps a fleet's retry load on a down controller low while a restart stays quick to notice.
  maxDelayMs: 10_000,
  factor: 2,
  // 10 s: login runs scrypt (tens of ms) and may be delayed 0.5–1 s after a failure (spec §9).
  dialTimeoutMs: 10_000,
  // 10 s, the back-off ceiling: even a connection that drops just after this is redialed no more
  // often than the slowest back-off would redial a controller that is down.
  stableAfterMs: 10_000,
});

/**
 * The defaults overridden by `limits` (ConnectOptions.limits), each checked: a finite number of ms
 * above 0, and a factor of at least 1. A NaN or negative delay would fire its timer at once and
 * turn the back-off, or the stableAfterMs guard against a hot redial loop, into no wait at all.
 * @throws NotValidError naming the field, e.g. "limits.stableAfterMs -1 not valid: must be a number of ms above 0".
 */
export function resolveClientLimits(limits: unknown): ClientLimits {
  if (limits === undefined) return { ...DEFAULT_CLIENT_LIMITS };
  if (limits === null || typeof limits !== 'object') throw new NotValidError('limits not valid: must be an object');
  const merged: ClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...(limits as Partial<ClientLimits>) };
  for (const key of Object.keys(DEFAULT_CLIENT_LIMITS) as Array<keyof ClientLimits>) {
    const v: unknown = merged[key];
    const isFactor = key === 'factor';
    if (typeof v !== 'number' || !Number.isFinite(v) || (isFactor ? v < 1 : v <= 0)) {
      throw new NotValidError(`limits.${key} ${String(v)} not valid: must be ${isFactor ? 'a number of at least 1' : 'a number of ms above 0'}`);
    }
  }
  return merged;
}
