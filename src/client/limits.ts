// The client's tunables and their reasons. Tests pass smaller values.
import type { BackoffLimits } from './backoff.js';

/** Client limits (all ms). */
export interface ClientLimits extends BackoffLimits {
  /** Opening a socket and logging in must finish within this, else the dial counts as failed. */
  dialTimeoutMs: number;
}

export const DEFAULT_CLIENT_LIMITS: Readonly<ClientLimits> = Object.freeze({
  // 100 ms: a restarted controller on the same host is usually back within a few hundred ms.
  initialDelayMs: 100,
  // 10 s: keeps a fleet's retry load on a down controller low while a restart stays quick to notice.
  maxDelayMs: 10_000,
  factor: 2,
  // 10 s: login runs scrypt (tens of ms) and may be delayed 0.5–1 s after a failure (spec §9).
  dialTimeoutMs: 10_000,
});
