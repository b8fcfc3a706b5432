// Default timings of the dependency engine.

/** Delay before restarting a failed manifold the first time: Juju's ErrorDelay (3 s). */
export const DEFAULT_ERROR_DELAY_MS = 3_000;
/** Delay before restarting a bounced manifold: Juju's BounceDelay (10 ms), just enough to coalesce. */
export const DEFAULT_BOUNCE_DELAY_MS = 10;
/** Cap of the exponential back-off: a broken database is retried at least once a minute. */
export const DEFAULT_MAX_DELAY_MS = 60_000;
/** Growth of the back-off per consecutive failure. */
export const DEFAULT_BACKOFF_FACTOR = 2;

