// Tunables of the multiwatcher, each with its reason. Config may override the ones it names.

/**
 * Unreferenced tombstones kept for resume, in store revisions (spec §3.7). 0 is upstream behaviour:
 * a consumer can then resume only from positions no removal has passed. The API layer sets it for
 * reconnecting clients.
 */
export const DEFAULT_RETAIN_REVISIONS = 0;

/**
 * Database-revision checkpoints kept per store for resume (16 bytes each: 1 MiB at this bound).
 * One is kept per commit the store applied; a resume from an older revision yields a reset.
 */
export const MAX_REVISION_CHECKPOINTS = 65_536;

/**
 * Delay before a new generation starts after a backing error. 0 (spec §4.6): the next task. A
 * positive value keeps a persistently failing backing from spinning.
 */
export const DEFAULT_RESTART_DELAY_MS = 0;

/** Restart errors kept for report()'s `errors` key (spec §5.5). */
export const MAX_REPORTED_ERRORS = 5;

/**
 * The processing loop yields to the event loop between changes once a slice is used up: this many
 * changes, or PROCESS_SLICE_MS by the clock, whichever comes first. A yield is a full event-loop turn
 * (a poll syscall); paying it per change cost 30–140 µs per change on the shared 2-core benchmark
 * machine, more than the change itself, while a 1 ms slice keeps other work responsive. Waiting
 * watchers are answered at the end of a slice (or when the queue is drained), so under load one
 * batch carries a slice's changes: answering after every change let the answers' socket writes
 * (~10 per change at 10 watchers per model) take the whole slice, and the queue fell behind.
 */
export const MAX_CHANGES_PER_SLICE = 64;
/** Longest run of processing between yields, ms (see MAX_CHANGES_PER_SLICE). */
export const PROCESS_SLICE_MS = 1;
