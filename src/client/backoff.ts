// Reconnect back-off: exponential with "equal jitter" (half fixed, half random), so a fleet of
// clients that lost one controller does not come back in lock-step. Pure: the random source is passed.
import { exponentialDelayMs } from '../core/index.js';
import type { Random } from '../core/index.js';

/** Back-off tunables (ms). */
export interface BackoffLimits {
  /** Delay before the first retry (before jitter). */
  initialDelayMs: number;
  /** Ceiling of the delay (before jitter). */
  maxDelayMs: number;
  /** Growth per failed attempt. */
  factor: number;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): base = min(max, initial·factor^(attempt−1)),
 * delay in [base/2, base).
 */
export function backoffDelayMs(attempt: number, random: Random, limits: BackoffLimits): number {
  const base = exponentialDelayMs(attempt, limits.initialDelayMs, limits.factor, limits.maxDelayMs);
  return Math.floor(base / 2 + random() * (base / 2));
}
