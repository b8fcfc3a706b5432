// modelwatch/presence: is the agent behind key K of model M alive? Pingers set one bit per time
// slot, a PingBatcher merges them into one write per flush, PresenceWatchers report transitions.

export type { Change, PingRecorder, PingDoc, PresenceStore, PingRow, PingMasks, Being, RingListener } from './store.js';
/** In-memory PresenceStore (Maps; in-process doorbell), for tests and single processes. */
export { MemoryPresenceStore } from './memory-store.js';
/** The in-process doorbell shared by single-controller stores (memory, SQLite). */
export { LocalDoorbell } from './local-doorbell.js';
/**
 * One per controller: merges pings by OR and writes one transaction per flush (every ≈ F ms, ±20 %).
 * `ping` rejects with Stopped "PingBatcher is stopped" after stop; failed flushes are retried.
 */
export { PingBatcher, newDeadPingBatcher } from './ping-batcher.js';
export type { PingBatcherConfig } from './ping-batcher.js';
/** Sets its sequence's bit every I s while running; `killForTesting` records a death directly. */
export { Pinger } from './pinger.js';
export type { PingerConfig } from './pinger.js';
/** Reads a model's window every P ms (and on doorbell rings) and reports alive/dead transitions. */
export { PresenceWatcher, newDeadWatcher } from './presence-watcher.js';
export type { PresenceWatcherConfig } from './presence-watcher.js';
/** Deletes a model's old pings and superseded beings. */
export { Pruner } from './pruner.js';
export type { PrunerConfig } from './pruner.js';
/** Deletes all presence of a model in one transaction; idempotent. */
export { removePresenceForModel } from './remove.js';
/** The alive rule as a pure reducer (state, window read) → (next state, transitions). */
export { applyRead, decodeWindow, initialPresenceState } from './alive-rule.js';
export type { PresenceState, WindowRead } from './alive-rule.js';
/** Sequence encoding: field key hex(floor(seq/63)), bit 1n << (seq % 63); decoding of masks. */
export { fieldKey, fieldBit, decodeMask, decodeMasks, isFieldKey, isFieldBit, BITS_PER_FIELD, MAX_MASK } from './sequence.js';
/** Slots: slot(t) in Unix seconds, ping interval I, period validation, the watcher's window. */
export { slotOf, pingIntervalMs, validPeriod, windowSlots, skewSlots } from './slot.js';
/** Shared prom-client metrics (`modelwatch_presence_*`). */
export { PresenceMetrics } from './metrics.js';
export * as presenceLimits from './limits.js';
/** A watcher per model on demand, restarted 1 s after it dies; listeners follow the replacement. */
export { PresenceWatchers } from './watcher-factory.js';
export type { PresenceWatchersConfig } from './watcher-factory.js';
/** Prunes a controller's models on a jittered schedule. */
export { PruneSchedule } from './prune-schedule.js';
export type { PruneScheduleConfig } from './prune-schedule.js';
/** Dependency-engine manifolds: the batcher, the prune schedule and the watcher factory. */
export { pingBatcherManifold, presencePrunerManifold, presenceWatchersManifold, presenceStoreOf } from './manifolds.js';
export type { PresenceManifoldConfig } from './manifolds.js';
