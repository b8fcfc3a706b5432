// The worker's configuration (spec §5.1) and watch options, validated at construction with the
// exact upstream messages; the first missing dependency wins.
import type { Registry } from 'prom-client';
import type { AllWatcherBacking, Clock, Delta, Logger, Random } from '../core/index.js';
import { NotValidError, validateModelUUID } from '../core/index.js';

/** Configuration of a MultiwatcherWorker. */
export interface MultiwatcherConfig {
  clock: Clock;
  logger: Logger;
  backing: AllWatcherBacking;
  /** Prometheus registry for the metrics of spec §5.6; none: metrics are kept but not exported. */
  registry?: Registry;
  /** Called once when the worker stops, after the backing is released. */
  cleanup?: () => void;
  /** Store revisions of tombstone history kept for resume (default limits.DEFAULT_RETAIN_REVISIONS). */
  retainRevisions?: number;
  /** Delay before restarting after a backing error, ms (default 0: the next task). */
  restartDelayMs?: number;
  /** Source of store epochs (default Math.random). */
  random?: Random;
}

/** Options of watchModel / watchController. */
export interface WatchOptions {
  /** Resume position: a revision from `watcher.revision()`; see docs/multiwatcher.md. */
  since?: number;
  /** Per-watcher filter; a batch filtered to nothing keeps later next() waiting. Filter by identity. */
  filter?: (d: Delta) => boolean;
  /** Stops the watcher when aborted (STYLE §4). */
  signal?: AbortSignal;
}

/** Throws NotValidError "missing X not valid" for the first missing dependency, then checks limits. */
export function validateConfig(config: unknown): asserts config is MultiwatcherConfig {
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  if (!hasMethods(c.clock, ['now', 'setTimeout'])) throw new NotValidError('missing Clock not valid');
  if (!hasMethods(c.logger, ['debug', 'info', 'warn', 'error'])) throw new NotValidError('missing Logger not valid');
  if (!hasMethods(c.backing, ['getAll', 'changed', 'watch', 'unwatch'])) throw new NotValidError('missing Backing not valid');
  checkCount(c.retainRevisions, 'retainRevisions');
  checkCount(c.restartDelayMs, 'restartDelayMs');
  if (c.cleanup !== undefined && typeof c.cleanup !== 'function') throw new NotValidError('cleanup not valid: must be a function');
}

/** Validates a watch call's arguments. @throws NotValidError (code NotValid). */
export function validateWatch(modelUUID: unknown, opts: unknown): asserts opts is WatchOptions | undefined {
  if (modelUUID !== undefined) validateModelUUID(modelUUID, 'modelUUID');
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null) throw new NotValidError('watch options not valid: must be an object');
  const o = opts as Record<string, unknown>;
  if (o.since !== undefined && (typeof o.since !== 'number' || !Number.isSafeInteger(o.since) || o.since < 0)) {
    throw new NotValidError(`since ${show(o.since)} not valid: must be a non-negative integer revision`);
  }
  if (o.filter !== undefined && typeof o.filter !== 'function') throw new NotValidError('filter not valid: must be a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new NotValidError('signal not valid: must be an AbortSignal');
}

function hasMethods(v: unknown, names: readonly string[]): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return names.every((n) => typeof o[n] === 'function');
}

function checkCount(v: unknown, name: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new NotValidError(`${name} ${show(v)} not valid: must be a non-negative integer`);
  }
}

function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v;
}
