// The Follower contract (a filtered view with add/update/delete/batch callbacks) and simpleFollower,
// its callback-struct form. Driving a follower from a source is left to watch-entities.ts.
import type { EntityInfo } from '../core/index.js';
import { NotValidError, jsonEqual, sameEntityId } from '../core/index.js';

/**
 * A consumer of a filtered view. `filter` and `equals` must be pure and deterministic (`equals`
 * reflexive and symmetric); the four callbacks run one at a time, each awaited before the next.
 */
export interface Follower {
  /** True when an entity belongs in the view; called with incoming versions only. */
  filter(e: EntityInfo): boolean;
  /** True when a change does not matter to this follower; called as equals(lastDelivered, incoming). */
  equals(a: EntityInfo, b: EntityInfo): boolean;
  /** The entity entered the view. */
  onNew(e: EntityInfo): void | Promise<void>;
  /** The entity changed in a way that matters; `prev` is the version last delivered. */
  onUpdated(prev: EntityInfo, next: EntityInfo): void | Promise<void>;
  /** The entity left the view (filtered out or removed); `prev` is the version last delivered. */
  onDeleted(prev: EntityInfo): void | Promise<void>;
  /** Once per event processed to its end; `synced` from the event completing the backlog on. */
  onBatchDone(info: { synced: boolean }): void | Promise<void>;
}

/** Configuration of simpleFollower; every field is optional. */
export interface SimpleFollowerConfig {
  /** Default: accept every entity. */
  filterFn?: (e: EntityInfo) => boolean;
  /** Default: equal ids and deep-equal data (core infoEquals). Upstream had none and crashed. */
  equalsFn?: (a: EntityInfo, b: EntityInfo) => boolean;
  /** Called for both onNew and onUpdated, with the new version. */
  onNewUpdated?: (e: EntityInfo) => void | Promise<void>;
  onDeleted?: (prev: EntityInfo) => void | Promise<void>;
  onBatchDone?: (info: { synced: boolean }) => void | Promise<void>;
}

const CONFIG_FIELDS = ['filterFn', 'equalsFn', 'onNewUpdated', 'onDeleted', 'onBatchDone'] as const;
const acceptAll = (): boolean => true;
/**
 * Core infoEquals (equal ids, deep-equal data) with the data compared first: the follower only
 * compares versions of one key, so for a change that matters the answer comes from the data
 * alone, without reading the id strings of the last delivered version (memory likely cold when
 * many followers take turns). Same result as infoEquals: both conditions are pure.
 */
const defaultEquals = (a: EntityInfo, b: EntityInfo): boolean => jsonEqual(a.data, b.data) && sameEntityId(a, b);
const noop = (): void => undefined;

/**
 * A Follower from plain functions: onNew and onUpdated both call onNewUpdated(next); a missing
 * callback is a no-op. Errors are reported under the Follower method that failed.
 * @throws NotValidError "missing SimpleFollowerConfig not valid" or "<field> not valid: must be a function".
 */
export function simpleFollower(cfg: SimpleFollowerConfig): Follower {
  // Config arrives from callers in plain JS too; check it at construction.
  const raw: unknown = cfg;
  if (raw === null || typeof raw !== 'object') throw new NotValidError('missing SimpleFollowerConfig not valid');
  for (const field of CONFIG_FIELDS) {
    const v = (raw as Record<string, unknown>)[field];
    if (v !== undefined && typeof v !== 'function') throw new NotValidError(`${field} not valid: must be a function`);
  }
  const onNewUpdated = cfg.onNewUpdated ?? noop;
  const onUpdated = (_prev: EntityInfo, next: EntityInfo): void | Promise<void> => onNewUpdated(next);
  UPDATED_AS_NEW.set(onUpdated, onNewUpdated);
  return {
    filter: cfg.filterFn ?? acceptAll,
    equals: cfg.equalsFn ?? defaultEquals,
    onNew: onNewUpdated,
    onUpdated,
    onDeleted: cfg.onDeleted ?? noop,
    onBatchDone: cfg.onBatchDone ?? noop,
  };
}

/**
 * simpleFollower's onUpdated wrappers → the onNewUpdated each calls with `next`. watchEntities
 * calls that function itself while the follower's onUpdated is still the wrapper: the same call
 * (same argument, same `this`, same result), minus a closure and its context to load, which are
 * likely cold in memory when a thousand followers take turns.
 */
const UPDATED_AS_NEW = new WeakMap<object, (e: EntityInfo) => void | Promise<void>>();

/** For simpleFollower's onUpdated wrapper: the function it calls with `next`; else undefined. */
export function updatedAsNew(onUpdated: unknown): ((e: EntityInfo) => void | Promise<void>) | undefined {
  return typeof onUpdated === 'function' ? UPDATED_AS_NEW.get(onUpdated) : undefined;
}

const FOLLOWER_METHODS = ['filter', 'equals', 'onNew', 'onUpdated', 'onDeleted', 'onBatchDone'] as const;

/** @throws NotValidError "missing Follower not valid" or "missing Follower.<method> not valid". */
export function checkFollower(follower: unknown): asserts follower is Follower {
  if (follower === null || typeof follower !== 'object') throw new NotValidError('missing Follower not valid');
  for (const m of FOLLOWER_METHODS) {
    if (typeof (follower as Record<string, unknown>)[m] !== 'function') throw new NotValidError(`missing Follower.${m} not valid`);
  }
}
