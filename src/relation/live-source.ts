// The live hook source (spec §4): the schedule reducer fed by a relation units watcher. This file
// owns the watcher and the input checks; the ordering rules live in schedule.ts.
import { NotValidError } from '../core/index.js';
import type { HookInfo, RelationUnitsChange, RelationUnitsWatcher } from './hook.js';
import { validateRelationUnitsChange } from './hook.js';
import type { HookSource } from './hook-source.js';
import { checkedState } from './list-source.js';
import type { RelationState } from './relation-state.js';
import type { Schedule } from './schedule.js';
import { isEmpty, newSchedule, nextHook, step } from './schedule.js';

class LiveHookSource implements HookSource {
  /** Only update/pop mutate it, through `step`. */
  readonly #schedule: Schedule;
  readonly #watcher: RelationUnitsWatcher;

  constructor(schedule: Schedule, watcher: RelationUnitsWatcher) {
    this.#schedule = schedule;
    this.#watcher = watcher;
  }

  changes(): AsyncIterable<RelationUnitsChange> {
    return this.#watcher.changes();
  }

  update(change: RelationUnitsChange): void {
    validateRelationUnitsChange(change);
    step(this.#schedule, { type: 'change', change });
  }

  empty(): boolean {
    return isEmpty(this.#schedule);
  }

  next(): HookInfo {
    return nextHook(this.#schedule);
  }

  pop(): void {
    step(this.#schedule, { type: 'pop' });
  }

  stop(): Promise<void> {
    return this.#watcher.stop();
  }
}

/**
 * A source of the hooks owed for a live relation, from committed state plus a fresh watcher whose
 * first change is the full snapshot of the units in scope. Owns the watcher: `stop()` stops it.
 * @throws NotValidError when `initial` is broken, its pending unit is not a member, or the
 *   watcher is missing.
 */
export function newLiveHookSource(initial: RelationState, watcher: RelationUnitsWatcher): HookSource {
  const state = checkedState(initial);
  if (state.broken) throw new NotValidError('initial relation state not valid: relation is broken');
  const w = watcher as Partial<RelationUnitsWatcher> | null | undefined;
  if (typeof w?.changes !== 'function' || typeof w.stop !== 'function') {
    throw new NotValidError('missing RelationUnitsWatcher not valid');
  }
  return new LiveHookSource(newSchedule(state), watcher);
}
