// Tunables of the state store, each with its reason. Tests pass smaller values through the
// internal options of the backends; callers set retention through openState.

export interface StateLimits {
  /** History kept by time (ms): the spec's default of 10 minutes covers a controller restart. */
  retentionMs: number;
  /** History kept by count: 1,000,000 revisions (a few minutes at full ingest rate). */
  retentionRevisions: number;
  /** How often the background compactor runs (ms). */
  compactIntervalMs: number;
  /** Most revisions one compaction round deletes, so a round never blocks the loop for long. */
  compactBatchRevisions: number;
  /** Default and ceiling of one changesSince batch, in rows (a revision is never split). */
  changesBatchRows: number;
  /** Backings re-read the log this often even without a doorbell: lost NOTIFYs only delay (ms). */
  pollIntervalMs: number;
  /** First retry delay after a failed read or a dropped LISTEN connection (ms); doubles each time. */
  retryMinMs: number;
  /** Ceiling of that back-off (ms). */
  retryMaxMs: number;
  /** At most one NOTIFY per this many ms per controller (STYLE §10: 10–50 ms). */
  notifyCoalesceMs: number;
  /** SQLite busy timeout (ms): how long a writer waits for another connection's lock. */
  sqliteBusyTimeoutMs: number;
  /**
   * WAL frames (estimated: change rows plus commits) between background checkpoints. 4,000 pages of
   * 4 KiB: a WAL of about 16 MiB, copied by the checkpoint worker a few times a second at full rate.
   */
  sqliteCheckpointFrames: number;
  /** PostgreSQL pool size for writes (asynchronous commit) and for reads/barriers. */
  pgPoolSize: number;
  /** Most applies one PostgreSQL write statement carries (group commit, postgres/write-batcher.ts). */
  pgBatchPlans: number;
  /** Most entities one batched statement writes, unless a single apply alone has more. */
  pgBatchRows: number;
  /** Retries of a PostgreSQL write aborted by a deadlock or serialization failure. */
  pgWriteRetries: number;
}

export const DEFAULT_LIMITS: Readonly<StateLimits> = Object.freeze({
  retentionMs: 10 * 60_000,
  retentionRevisions: 1_000_000,
  compactIntervalMs: 10_000,
  compactBatchRevisions: 20_000,
  changesBatchRows: 10_000,
  pollIntervalMs: 1_000,
  retryMinMs: 100,
  retryMaxMs: 5_000,
  notifyCoalesceMs: 10,
  sqliteBusyTimeoutMs: 5_000,
  sqliteCheckpointFrames: 4_000,
  pgPoolSize: 8,
  pgBatchPlans: 64,
  pgBatchRows: 5_000,
  pgWriteRetries: 10,
});

/**
 * Longest retention: 100 years keeps the compactor's cut-off (now − retention) an exact integer of
 * epoch ms that a PostgreSQL bigint holds; beyond it every compaction round would fail.
 */
export const MAX_RETENTION_MS = 100 * 365 * 86_400_000;
/** Longest delay a Node.js timer takes (2^31 − 1 ms, about 24.8 days); above it the timer fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
