// Exponential back-off, the one formula the dependency engine and the client's reconnects share.

/**
 * Delay before retry number `attempt` (1 = the first): min(maxMs, initialMs · factor^(attempt − 1)).
 * Callers add jitter where many peers retry at once.
 */
export function exponentialDelayMs(attempt: number, initialMs: number, factor: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
}
