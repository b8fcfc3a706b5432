// What a follower consumes: events of entities and tombstones from an EntitySource, and the cheap
// structural check every event passes before it is reconciled. Producing events is left to sources.
import type { EntityId, EntityInfo } from '../core/index.js';
import { NotValidError } from '../core/index.js';

/**
 * One step of an EntitySource: infos to upsert (in order, a later entry for the same key wins),
 * then keys to remove. `lastBacklogged` marks the event that completes the initial backlog.
 */
export interface WatchEvent {
  entities: EntityInfo[];
  tombstones: EntityId[];
  lastBacklogged?: boolean;
}

/** A stream of WatchEvents; a re-list must carry tombstones for what vanished (spec §3.7). */
export type EntitySource = AsyncIterable<WatchEvent>;

/**
 * Checks the shape of an event from a source, in O(1): arrays where arrays belong. Entries are
 * not validated one by one, so a batch costs O(size of the event) only once, in reconcile.
 * @throws NotValidError "follower: event not valid: …"
 */
export function checkWatchEvent(event: unknown): asserts event is WatchEvent {
  if (event === null || typeof event !== 'object') throw new NotValidError('follower: event not valid: must be an object');
  const e = event as Record<string, unknown>;
  if (!Array.isArray(e.entities)) throw new NotValidError('follower: event not valid: entities must be an array');
  if (!Array.isArray(e.tombstones)) throw new NotValidError('follower: event not valid: tombstones must be an array');
  if (e.lastBacklogged !== undefined && typeof e.lastBacklogged !== 'boolean') {
    throw new NotValidError('follower: event not valid: lastBacklogged must be a boolean');
  }
}

/**
 * Marks a source iterator whose return() settles a pending next() at once (fromWatcher's does).
 * watchEntities then answers an abort by returning the iterator instead of wrapping every pull in
 * a promise it can reject: a few hundred ns per event on the hot path.
 */
export const PROMPT_RETURN: unique symbol = Symbol('modelwatch.follower.promptReturn');

/** True when `iterator` carries the PROMPT_RETURN mark. */
export function hasPromptReturn(iterator: object): boolean {
  return (iterator as { [PROMPT_RETURN]?: unknown })[PROMPT_RETURN] === true;
}
