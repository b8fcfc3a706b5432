// modelwatch/multiwatcher: one in-memory, revisioned copy of every entity the state backing exposes,
// served to any number of watchers of one model or of the whole controller (spec/multiwatcher.md).

/** The multiwatcher store: revno-ordered entries, coalescing, tombstones with reference counts. */
export { MultiwatcherStore } from './store.js';
export type { MultiwatcherStoreOptions, StoreEntryView } from './store.js';
/** The worker: generations fed by a backing, watchers by model, restart, report and metrics. */
export { MultiwatcherWorker } from './worker.js';
export type { MultiwatcherConfig, WatchOptions } from './config.js';
export type { Watcher } from './watcher.js';
/** Stopped errors: "watcher was stopped", "shared state watcher was stopped" (code Stopped). */
export { isErrStopped, WatcherStoppedError, WATCHER_STOPPED, SHARED_STATE_STOPPED } from './errors.js';
/** The backing seam, defined in core so `state` can implement it; re-exported under the contract names. */
export type { AllWatcherBacking, BackingChange, BackingStore } from '../core/index.js';
/** Tunables and their defaults. */
export { DEFAULT_RETAIN_REVISIONS, MAX_REVISION_CHECKPOINTS, DEFAULT_RESTART_DELAY_MS, MAX_REPORTED_ERRORS } from './limits.js';
/** The dependency-engine manifold: input = the state resource; output = the worker (a watcher factory). */
export { multiwatcherManifold } from './manifold.js';
export type { MultiwatcherManifoldConfig } from './manifold.js';
