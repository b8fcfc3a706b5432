// Time slots (spec §3.1): slot(t) is the Unix second starting the P-long interval holding t. The
// pinger interval I and the watcher's window derive from P.
import { NotValidError } from '../core/index.js';
import { DEFAULT_PERIOD_MS } from './limits.js';
import { show } from './validate.js';

/** `floor(t / P) * P / 1000`: Unix seconds of the start of t's slot. */
export function slotOf(nowMs: number, periodMs: number): number {
  return (Math.floor(nowMs / periodMs) * periodMs) / 1000;
}

/** Ping interval I in ms: `floor(0.75 · (P/1000 + 1))` s (23 s at 30 s, 1 s at 1 s); I ≤ P always. */
export function pingIntervalMs(periodMs: number): number {
  return Math.floor(0.75 * (periodMs / 1000 + 1)) * 1000;
}

/**
 * Returns the period in ms (default 30 000).
 * @throws NotValidError unless it is a whole number of seconds, at least 1000 ms.
 */
export function validPeriod(period: unknown): number {
  if (period === undefined) return DEFAULT_PERIOD_MS;
  if (typeof period !== 'number' || !Number.isSafeInteger(period) || period < 1000 || period % 1000 !== 0) {
    throw new NotValidError(`period ${show(period)} not valid: must be a whole number of seconds, at least 1000 ms`);
  }
  return period;
}

/**
 * Slots a watcher reads at slot S: S, S − P/1000, and `extra` more older ones (clock-skew tolerance).
 */
export function windowSlots(slot: number, periodMs: number, extra: number): number[] {
  const step = periodMs / 1000;
  const out: number[] = [];
  for (let i = 0; i < 2 + extra; i++) out.push(slot - i * step);
  return out;
}

/**
 * Extra window slots for a tolerated clock skew (ms): ceil(skew / P). With k extra slots a pinger
 * whose clock is behind the watcher's by up to P − I + k·P causes no false death, and a stop is
 * seen up to k·P later. 0 keeps the exact bounds of spec §5.
 * @throws NotValidError for a negative, non-finite or over-an-hour tolerance.
 */
export function skewSlots(skewToleranceMs: unknown, periodMs: number): number {
  if (skewToleranceMs === undefined) return 0;
  if (typeof skewToleranceMs !== 'number' || !Number.isFinite(skewToleranceMs) || skewToleranceMs < 0 || skewToleranceMs > 3_600_000) {
    throw new NotValidError(`skewTolerance ${show(skewToleranceMs)} not valid: must be 0 to 3600000 ms`);
  }
  return Math.ceil(skewToleranceMs / periodMs);
}
