// The client's tunables and their reasons. Tests pass smaller values.
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
