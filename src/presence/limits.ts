// Tunables of presence, each with its reason and source (spec/presence.md). Tests pass smaller values.

/** Slot period P, ms (Juju's 30 s slots; spec §2). Must be whole seconds, ≥ 1000. */
export const DEFAULT_PERIOD_MS = 30_000;
/** Controllers flush the batcher every F = 1 s (Juju's default; spec §4.2). */
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/** Flush delay jitter: uniform in [0.8·F, 1.2·F) so controllers do not flush in lockstep (Juju). */
export const FLUSH_JITTER_LOW = 0.8;
export const FLUSH_JITTER_HIGH = 1.2;
/** Batcher sync() coalescing delay d (spec §4.2): many syncs within it share one flush. */
export const DEFAULT_SYNC_DELAY_MS = 10;
/** A pinger retries a rejected ping after 1 s while running (spec §4.1). */
export const PING_RETRY_MS = 1_000;
/** Rows older than this are dropped from a failing batcher: no watcher reads them (spec §4.2). */
export const STALE_ROW_AGE_MS = 10 * 60_000;
/** Sequences per lookup or delete statement (spec §4.3, §4.4); keeps SQL parameter lists bounded. */
export const MAX_SEQS_PER_QUERY = 1000;
/** Rows per multi-row upsert statement on PostgreSQL (spec §3.5). */
export const MAX_ROWS_PER_STATEMENT = 1000;
/** Prune probability per read since the last prune: min(1, 0.0038·n), ≈ one per 20 reads (spec §4.3). */
export const PRUNE_PROBABILITY_PER_READ = 0.0038;
/** The Pruner keeps the 4 slots S − 3P … S (spec §4.4), plus any skew-tolerance slots. */
export const PRUNE_KEEP_SLOTS = 4;
/** Longest key, in characters (the global keys of machines, units and applications). */
export const MAX_KEY_LENGTH = 255;
/** A watcher factory restarts a dead watcher after 1 s (spec §7). */
export const WATCHER_RESTART_DELAY_MS = 1_000;
/** Default interval of the scheduled pruner manifold: one prune per model per ~10 min (spec §4.3). */
export const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60_000;
/** PostgreSQL doorbell: at most one NOTIFY per 50 ms per controller (spec §3.6). */
export const NOTIFY_COALESCE_MS = 50;
